package org.mtflow.nodes.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;

/**
 * A model's predictions over the examples of one dataset split, in example order, as one artifact
 * (what {@code eval.metrics} reads). The file is a safetensors file with metadata
 * {@code format = mtflow.predictions/1} and either
 * <ul>
 *   <li>{@code logits} [n, classes] F32: one row of finite logits per example (the loss needs these), or
 *   <li>{@code predicted} [n]: the predicted class index of each example (stored as float, exact);
 * </ul>
 * and optionally {@code task} [n]: the task index of each example (stored as float), with the task
 * names as a JSON list in metadata {@code tasks} (index i names task i; missing names are {@code task<i>}).
 * Without {@code task} every example belongs to one task, named by the evaluator (the dataset's name).
 *
 * @param logits    [n, classes], or null when only predicted labels are known
 * @param predicted the class index of each example: the argmax of its logits row, lowest index on ties
 * @param tasks     the task index of each example, or null for a single task
 * @param taskNames names of task indexes (may be shorter than the largest index, or empty)
 */
public record Predictions(Tensor logits, int[] predicted, int[] tasks, List<String> taskNames) {
    public static final String FORMAT = "mtflow.predictions/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Predictions {
        taskNames = List.copyOf(taskNames);
        if (logits != null) {
            if (logits.rank() != 2) throw new IllegalArgumentException("logits must be [n, classes], got " + logits);
            if (logits.dim(1) == 0) throw new IllegalArgumentException("logits have no classes: " + logits);
            float[] z = logits.data();
            for (int i = 0; i < z.length; i++) {
                if (!Float.isFinite(z[i])) {
                    throw new IllegalArgumentException("logit [" + i / logits.dim(1) + ", " + i % logits.dim(1) + "] is " + z[i]
                            + "; predictions need finite logits (did the model diverge?)");
                }
            }
            if (predicted == null) predicted = argmaxRows(logits);
        }
        if (predicted == null) throw new IllegalArgumentException("predictions need logits or predicted labels");
        int n = predicted.length;
        if (logits != null && logits.dim(0) != n) {
            throw new IllegalArgumentException(n + " predicted labels for " + logits.dim(0) + " rows of logits");
        }
        for (int i = 0; i < n; i++) {
            if (predicted[i] < 0) throw new IllegalArgumentException("predicted label " + i + " is " + predicted[i] + ", not a class index");
        }
        if (tasks != null) {
            if (tasks.length != n) throw new IllegalArgumentException(tasks.length + " task ids for " + n + " examples");
            for (int i = 0; i < n; i++) {
                if (tasks[i] < 0) throw new IllegalArgumentException("task id " + i + " is " + tasks[i] + ", not a task index");
            }
        }
    }

    /** Predictions from logits; {@code tasks} may be null (one task). */
    public static Predictions ofLogits(Tensor logits, int[] tasks, List<String> taskNames) {
        return new Predictions(logits, null, tasks, taskNames);
    }

    /** Predictions from predicted labels only (no loss can be computed). */
    public static Predictions ofLabels(int[] predicted, int[] tasks, List<String> taskNames) {
        return new Predictions(null, predicted, tasks, taskNames);
    }

    public int size() { return predicted.length; }

    /** The name of task index {@code id}: its listed name, or {@code task<id>}. */
    public String taskName(int id) {
        return id < taskNames.size() ? taskNames.get(id) : "task" + id;
    }

    /**
     * The index of each row's largest logit, the lowest index on ties: the rule of TensorOps'
     * argmaxRows (a scan that moves only on a strictly greater value); logits here are finite.
     */
    public static int[] argmaxRows(Tensor logits) {
        int rows = logits.dim(0), cols = logits.dim(1);
        float[] z = logits.data();
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int base = r * cols, best = 0;
            for (int c = 1; c < cols; c++) {
                if (z[base + c] > z[base + best]) best = c;
            }
            out[r] = best;
        }
        return out;
    }

    public void write(OutputStream out) throws IOException {
        Safetensors.Writer w = Safetensors.writer().metadata("format", FORMAT);
        if (logits != null) w.put("logits", logits);
        else w.put("predicted", asFloats(predicted));
        if (tasks != null) w.put("task", asFloats(tasks));
        if (!taskNames.isEmpty()) w.metadata("tasks", JSON.writeValueAsString(taskNames));
        w.write(out);
    }

    public static Predictions read(Path file) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Map<String, String> meta = r.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new FormatException(file, "not a predictions artifact (metadata format is " + meta.get("format")
                        + ", expected " + FORMAT + "); write it with Predictions.write");
            }
            boolean hasLogits = r.entries().containsKey("logits"), hasLabels = r.entries().containsKey("predicted");
            if (hasLogits == hasLabels) {
                throw new FormatException(file, "a predictions artifact holds exactly one of 'logits' and 'predicted'; it has "
                        + r.entries().keySet());
            }
            List<String> names;
            try {
                names = JSON.readValue(meta.getOrDefault("tasks", "[]"), new TypeReference<List<String>>() {});
            } catch (JsonProcessingException e) {
                throw new FormatException(file, "metadata 'tasks' is not a JSON list of names: " + meta.get("tasks"));
            }
            try {
                Tensor logits = hasLogits ? r.read("logits") : null;
                int[] predicted = hasLabels ? indexes(file, "predicted", r.read("predicted")) : null;
                int[] tasks = r.entries().containsKey("task") ? indexes(file, "task", r.read("task")) : null;
                return new Predictions(logits, predicted, tasks, names);
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, e.getMessage());
            }
        }
    }

    private static int[] indexes(Path file, String entry, Tensor t) throws FormatException {
        if (t.rank() != 1) throw new FormatException(file, "'" + entry + "' must be [n], got " + t);
        float[] v = t.data();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
            if (out[i] != v[i] || v[i] < 0) {
                throw new FormatException(file, "'" + entry + "'[" + i + "] is " + v[i] + ", not an index (0, 1, 2, ...)");
            }
        }
        return out;
    }

    private static Tensor asFloats(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i]; // exact: indexes stay far below 2^24
        return Tensor.of(f, v.length);
    }
}
