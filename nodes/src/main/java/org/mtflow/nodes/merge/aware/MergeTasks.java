package org.mtflow.nodes.merge.aware;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;

/**
 * What every data-aware merge reads: the base, the fine-tuned models and each model's task data,
 * paired by position. {@code datasets} is either one dataset per model (the convention of
 * train.multitask) or one dataset whose tasks (label ranges, as data.tasks writes) number as many as
 * the models, task t going with model t and relabelled {@code y − firstClass}.
 *
 * <p>Heads: model t's head for its task is the one named after the task (the dataset's name with dots
 * as dashes, or the task's name), else its only head. The merged model has the merged trunk and each
 * task's head copied unchanged from its own model, under that head's name, or task0..task{T−1} for all
 * when two names clash (train.multitask's rule).
 */
record MergeTasks(Mlp base, List<Task> tasks) {

    /** Model t with its head for the task, the head's name in the merged model, and the task's data. */
    record Task(Mlp model, String head, String mergedHead, Dataset.Split train, Dataset.Split test) {}

    static List<Port> inputs() {
        return List.of(Port.one("base", "the model the fine-tuned ones started from").of(Port.Kind.MODEL),
                Port.many("models", "the fine-tuned models, each with its task's head").of(Port.Kind.MODEL),
                Port.many("datasets", "one dataset per model, or one dataset with a task per model").of(Port.Kind.DATASET));
    }

    static List<Port> outputs() {
        return List.of(Port.one("model", "the merged trunk with every task's own head").of(Port.Kind.MODEL));
    }

    static MergeTasks read(TaskContext<?> ctx) throws IOException, NodeException {
        Mlp base = Mlp.read(ctx.input("base"));
        List<Mlp> models = new ArrayList<>();
        for (Path f : ctx.inputs("models")) models.add(Mlp.read(f));
        List<Dataset> data = new ArrayList<>();
        for (Path f : ctx.inputs("datasets")) data.add(Dataset.read(f));
        return of(base, models, data);
    }

    static MergeTasks of(Mlp base, List<Mlp> models, List<Dataset> data) throws NodeException {
        if (models.isEmpty()) throw NodeException.permanent("'models' is empty: give the fine-tuned models to merge");
        List<String> names = new ArrayList<>();
        List<Dataset.Split[]> splits = new ArrayList<>();
        if (data.size() == models.size()) {
            for (Dataset d : data) {
                names.add(d.name() == null || d.name().isBlank() ? "main" : d.name().replace('.', '-'));
                splits.add(new Dataset.Split[] {d.train(), d.test()});
            }
        } else if (data.size() == 1 && data.get(0).tasks().size() == models.size()) {
            for (Dataset.Task t : data.get(0).tasks()) {
                names.add(t.name().replace('.', '-'));
                splits.add(new Dataset.Split[] {ofTask(data.get(0).train(), t), ofTask(data.get(0).test(), t)});
            }
        } else {
            throw NodeException.permanent(models.size() + " models but " + data.size() + " datasets"
                    + (data.size() == 1 ? " with " + data.get(0).tasks().size() + " tasks" : "")
                    + ": give one dataset per model, in the models' order, or one dataset with a task per model");
        }
        MlpSpec b = base.spec();
        List<String> heads = new ArrayList<>();
        for (int t = 0; t < models.size(); t++) {
            MlpSpec s = models.get(t).spec();
            if (!s.trunkSizes().equals(b.trunkSizes()) || s.activation() != b.activation()) {
                throw NodeException.permanent("model " + t + " has trunk " + s.trunkSizes() + " " + s.activation().token() + ", the base "
                        + b.trunkSizes() + " " + b.activation().token() + ": merge models fine-tuned from this base");
            }
            if (splits.get(t)[0].x().dim(1) != b.inputs()) {
                throw NodeException.permanent("the data of task " + t + " (" + names.get(t) + ") has " + splits.get(t)[0].x().dim(1)
                        + " features, the models take " + b.inputs());
            }
            if (s.heads().containsKey(names.get(t))) heads.add(names.get(t));
            else if (s.heads().size() == 1) heads.add(s.heads().keySet().iterator().next());
            else throw NodeException.permanent("model " + t + " has heads " + s.heads().keySet() + " and none named " + names.get(t)
                        + ", its task: give each model its task's head");
            int classes = s.heads().get(heads.get(t));
            String[] splitNames = {"train", "test"};
            for (int k = 0; k < 2; k++) {
                Dataset.Split split = splits.get(t)[k];
                if (split.size() == 0) throw NodeException.permanent("the " + splitNames[k] + " split of task " + t + " (" + names.get(t) + ") is empty");
                for (float y : split.y().data()) {
                    if (y < 0 || y >= classes || y != Math.rint(y)) {
                        throw NodeException.permanent("task " + t + " (" + names.get(t) + ") has label " + y + " in its " + splitNames[k]
                                + " split, but model " + t + "'s head " + heads.get(t) + " has " + classes + " classes: pair each model with its own task's data");
                    }
                }
            }
        }
        boolean clash = new LinkedHashSet<>(heads).size() != heads.size();
        List<Task> tasks = new ArrayList<>();
        for (int t = 0; t < models.size(); t++) {
            tasks.add(new Task(models.get(t), heads.get(t), clash ? "task" + t : heads.get(t), splits.get(t)[0], splits.get(t)[1]));
        }
        return new MergeTasks(base, tasks);
    }

    /** The rows of a task, labels made relative to its first class. */
    private static Dataset.Split ofTask(Dataset.Split s, Dataset.Task t) {
        int f = s.x().dim(1), n = 0;
        float[] y = s.y().data();
        for (float v : y) if (t.holds(v)) n++;
        float[] nx = new float[n * f], ny = new float[n];
        int at = 0;
        for (int i = 0; i < y.length; i++) {
            if (!t.holds(y[i])) continue;
            System.arraycopy(s.x().data(), i * f, nx, at * f, f);
            ny[at++] = y[i] - t.firstClass();
        }
        return new Dataset.Split(Tensor.of(nx, n, f), Tensor.of(ny, n));
    }

    /** The names of the trunk's tensors, in the model's order. */
    List<String> trunkNames() {
        return base.parameters().keySet().stream().filter(k -> k.startsWith("trunk.")).toList();
    }

    /** The merged model: {@code trunk} (every trunk tensor) and each task's head from its own model. */
    Mlp assemble(Map<String, Tensor> trunk) {
        Map<String, Integer> classes = new LinkedHashMap<>();
        Map<String, Tensor> weights = new LinkedHashMap<>(trunk);
        for (Task t : tasks) {
            classes.put(t.mergedHead(), t.model().spec().heads().get(t.head()));
            for (String part : List.of("weight", "bias")) {
                Tensor h = t.model().parameters().get("head." + t.head() + "." + part);
                weights.put("head." + t.mergedHead() + "." + part, Tensor.of(h.data().clone(), h.shape()));
            }
        }
        MlpSpec b = base.spec();
        return Mlp.of(new MlpSpec(b.inputs(), b.hidden(), b.activation(), classes), weights);
    }

    /**
     * Up to {@code count} rows of x, a Philox-seeded sample without replacement (a partial
     * Fisher–Yates shuffle keyed by (seed, stream)), so the estimate does not depend on row order.
     */
    static Tensor sample(Tensor x, int count, long seed, long stream) {
        int n = x.dim(0), k = Math.min(n, count), cols = x.dim(1);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + (int) (((Philox.bits(seed, stream, i) & 0xFFFFFFFFL) * (n - i)) >>> 32);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        float[] out = new float[k * cols];
        for (int i = 0; i < k; i++) System.arraycopy(x.data(), order[i] * cols, out, i * cols, cols);
        return Tensor.of(out, k, cols);
    }

    /** The same rows of x and of the labels y, as {@link #sample} picks them. */
    static int[] sampleLabels(Tensor y, int count, long seed, long stream) {
        Tensor picked = sample(Tensor.of(y.data(), y.dim(0), 1), count, seed, stream);
        int[] out = new int[picked.size()];
        for (int i = 0; i < out.length; i++) out[i] = (int) picked.data()[i];
        return out;
    }
}
