package org.mtflow.nodes.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;

/**
 * A labelled classification dataset as one artifact: a safetensors file with {@code train.x}
 * [n, features], {@code train.y} [n] (class index as float), {@code test.x}, {@code test.y}, an
 * optional {@code val.x}, {@code val.y}, and the dataset's name, class names and tasks in its
 * metadata.
 *
 * <p>Tasks: a multi-task dataset gives each task its own contiguous range of class indices
 * ({@link Task}); an example belongs to the task whose range holds its label, and its label within
 * the task is {@code y − firstClass}. No tasks listed means one task over all classes. Files written
 * before val and tasks existed read as a dataset without either.
 */
public record Dataset(String name, List<String> classes, Split train, Split val, Split test, List<Task> tasks) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Examples as rows of {@code x}, labels in {@code y}. */
    public record Split(Tensor x, Tensor y) {
        public Split {
            if (x.rank() != 2 || y.rank() != 1 || x.dim(0) != y.dim(0)) {
                throw new IllegalArgumentException("a split needs x [n, features] and y [n], got " + x + " and " + y);
            }
        }

        public int size() { return y.dim(0); }
    }

    /** A task: the classes {@code firstClass .. firstClass + classes − 1} of the dataset. */
    public record Task(String name, int firstClass, int classes) {
        public Task {
            if (firstClass < 0 || classes < 1) throw new IllegalArgumentException("task " + name + " needs classes >= 1 from a class >= 0");
        }

        public boolean holds(float label) { return label >= firstClass && label < firstClass + classes; }
    }

    public Dataset {
        classes = List.copyOf(classes);
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
        if (train.x().dim(1) != test.x().dim(1) || (val != null && val.x().dim(1) != train.x().dim(1))) {
            throw new IllegalArgumentException("train, val and test have different feature counts");
        }
        int next = 0;
        for (Task t : tasks) {
            if (t.firstClass() != next || t.firstClass() + t.classes() > classes.size()) {
                throw new IllegalArgumentException("tasks must cover the " + classes.size() + " classes in order, one range after the other; "
                        + "task " + t.name() + " starts at class " + t.firstClass() + " where " + next + " was expected");
            }
            next += t.classes();
        }
        if (!tasks.isEmpty() && next != classes.size()) throw new IllegalArgumentException("tasks cover " + next + " of " + classes.size() + " classes");
    }

    /** A single-task dataset without a val split. */
    public Dataset(String name, List<String> classes, Split train, Split test) {
        this(name, classes, train, null, test, List.of());
    }

    /** train, val (when present), test. */
    public Map<String, Split> splits() {
        Map<String, Split> m = new LinkedHashMap<>();
        m.put("train", train);
        if (val != null) m.put("val", val);
        m.put("test", test);
        return m;
    }

    /** The same dataset with other splits (tasks and classes kept). */
    public Dataset withSplits(Split train, Split val, Split test) {
        return new Dataset(name, classes, train, val, test, tasks);
    }

    /** The index of the task named {@code name}, or −1. */
    public int taskIndex(String name) {
        for (int t = 0; t < tasks.size(); t++) if (tasks.get(t).name().equals(name)) return t;
        return -1;
    }

    /**
     * Task {@code t} as a dataset of its own: the examples of its classes in order, labels relative
     * to the task ({@code y − firstClass}), class names without the {@code task/} prefix data.tasks
     * and data.synthetic give them, named after the task (so a model trained on it has a head of the
     * task's name) and without tasks.
     */
    public Dataset task(int t) {
        Task task = tasks.get(t);
        List<String> names = new ArrayList<>();
        for (String c : classes.subList(task.firstClass(), task.firstClass() + task.classes())) {
            names.add(c.startsWith(task.name() + "/") ? c.substring(task.name().length() + 1) : c);
        }
        return new Dataset(task.name(), names, taskSplit(train, task), val == null ? null : taskSplit(val, task),
                taskSplit(test, task), List.of());
    }

    /** Every task as a dataset of its own ({@link #task}), or this one when it lists no tasks. */
    public List<Dataset> taskDatasets() {
        if (tasks.isEmpty()) return List.of(this);
        List<Dataset> out = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) out.add(task(t));
        return out;
    }

    private static Split taskSplit(Split s, Task task) {
        int f = s.x().dim(1), n = 0;
        float[] y = s.y().data();
        for (float v : y) if (task.holds(v)) n++;
        float[] nx = new float[n * f], ny = new float[n];
        int at = 0;
        for (int i = 0; i < y.length; i++) {
            if (!task.holds(y[i])) continue;
            System.arraycopy(s.x().data(), i * f, nx, at * f, f);
            ny[at++] = y[i] - task.firstClass();
        }
        return new Split(Tensor.of(nx, n, f), Tensor.of(ny, n));
    }

    public void write(OutputStream out) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        splits().forEach((k, s) -> {
            tensors.put(k + ".x", s.x());
            tensors.put(k + ".y", s.y());
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "mtflow.dataset/1");
        meta.put("name", name);
        meta.put("classes", JSON.writeValueAsString(classes));
        if (!tasks.isEmpty()) meta.put("tasks", JSON.writeValueAsString(tasks));
        Safetensors.write(out, tensors, meta);
    }

    public static Dataset read(Path file) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Map<String, String> meta = r.metadata();
            if (!"mtflow.dataset/1".equals(meta.get("format"))) {
                throw new FormatException(file, "not a dataset artifact (metadata format is " + meta.get("format") + ")");
            }
            List<String> classes;
            try {
                classes = JSON.readValue(meta.getOrDefault("classes", "[]"), new TypeReference<List<String>>() {});
            } catch (JsonProcessingException e) {
                throw new FormatException(file, "unreadable class list in metadata");
            }
            List<Task> tasks;
            try {
                tasks = JSON.readValue(meta.getOrDefault("tasks", "[]"), new TypeReference<List<Task>>() {});
            } catch (JsonProcessingException e) {
                throw new FormatException(file, "unreadable task list in metadata: " + e.getOriginalMessage());
            }
            for (String t : List.of("train.x", "train.y", "test.x", "test.y")) {
                if (!r.entries().containsKey(t)) throw new FormatException(file, "dataset has no tensor '" + t + "'");
            }
            boolean hasVal = r.entries().containsKey("val.x") || r.entries().containsKey("val.y");
            if (hasVal && !(r.entries().containsKey("val.x") && r.entries().containsKey("val.y"))) {
                throw new FormatException(file, "dataset has only one of 'val.x' and 'val.y'");
            }
            try {
                return new Dataset(meta.get("name"), classes, new Split(r.read("train.x"), r.read("train.y")),
                        hasVal ? new Split(r.read("val.x"), r.read("val.y")) : null,
                        new Split(r.read("test.x"), r.read("test.y")), tasks);
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, e.getMessage());
            }
        }
    }
}
