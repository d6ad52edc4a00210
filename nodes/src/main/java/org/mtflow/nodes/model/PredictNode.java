package org.mtflow.nodes.model;

import java.util.Arrays;
import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.eval.Predictions;

/**
 * A model's logits for every example of a dataset split, in example order: what eval.metrics scores.
 * A multi-head model (train.multitask, or a trunk with one head per task) on a dataset with tasks
 * whose names are all heads of the model predicts each example with its task's head, when no head is
 * named: eval.metrics then gives each task's accuracy.
 */
public final class PredictNode implements NodeType<PredictNode.Params> {
    /** Rows per forward pass: bounds the activations' memory on large splits. */
    static final int BATCH = 1024;

    public record Params(
            @Doc("the split to predict: test (default) or train") String split,
            @Doc("the head to predict with; default the model's only head, the head named after the dataset, or on a dataset with tasks each task's head (heads named after the tasks)") String head) {
        public Params {
            if (split == null) split = "test";
            if (!split.equals("test") && !split.equals("train")) {
                throw new IllegalArgumentException("split must be 'test' or 'train', got '" + split + "'");
            }
        }
    }

    @Override public String name() { return "model.predict"; }
    @Override public String description() { return "Logits of a model's head for every example of a dataset split."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.one("model", "an MLP (" + Mlp.FORMAT + ")").of(Port.Kind.MODEL),
                Port.one("dataset", "the dataset whose split is predicted; its inputs must match the model's").of(Port.Kind.DATASET));
    }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("predictions", "the logits, one row per example (" + Predictions.FORMAT + ")").of(Port.Kind.TENSOR));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Mlp model;
        Dataset dataset;
        try {
            model = Mlp.read(ctx.input("model"));
            dataset = Dataset.read(ctx.input("dataset"));
        } catch (FormatException e) {
            throw NodeException.permanent(e.getMessage());
        }
        Dataset.Split split = dataset.splits().get(ctx.params().split());
        if (split.x().rank() != 2 || split.x().dim(1) != model.spec().inputs()) {
            throw NodeException.permanent("dataset " + dataset.name() + "'s " + ctx.params().split() + " inputs are " + split.x()
                    + " but the model takes " + model.spec().inputs() + " features per row; predict with a model trained on this kind of data");
        }
        boolean perTask = ctx.params().head() == null && taskHeads(model, dataset);
        String head = perTask ? null : head(model, ctx.params().head(), dataset);
        Predictions predictions;
        try {
            predictions = perTask ? taskPredictions(ctx.ops(), model, dataset, split)
                    : Predictions.ofLogits(logits(ctx.ops(), model, head, split.x()), null, List.of());
        } catch (IllegalArgumentException e) {
            throw NodeException.permanent("model " + (perTask ? "heads " + model.spec().heads().keySet() : "head '" + head + "'") + ": " + e.getMessage());
        }
        ctx.metric("backend", ctx.ops().name());
        ctx.metric("head", perTask ? "per task" : head);
        ctx.metric("examples", predictions.size());
        ctx.output("predictions", predictions::write);
    }

    /**
     * The named head; when none is named, the model's only one, or the head named after the dataset
     * (data.task names a task's dataset after the task, so a multi-head model predicts it with that head).
     */
    static String head(Mlp model, String named, Dataset dataset) throws NodeException {
        var heads = model.spec().heads().keySet();
        if (named != null) {
            if (!heads.contains(named)) throw NodeException.permanent("the model has no head '" + named + "'; its heads are " + heads);
            return named;
        }
        if (heads.size() != 1 && heads.contains(dataset.name())) return dataset.name();
        if (heads.size() != 1) {
            throw NodeException.permanent("the model has heads " + heads + "; name one with param head"
                    + (dataset.tasks().isEmpty() ? "" : ", or give heads named after dataset " + dataset.name() + "'s tasks "
                    + dataset.tasks().stream().map(Dataset.Task::name).toList() + " to predict each task with its own"));
        }
        return heads.iterator().next();
    }

    /** Whether the dataset lists tasks and the model has a head of each one's name and class count. */
    static boolean taskHeads(Mlp model, Dataset dataset) {
        if (dataset.tasks().isEmpty()) return false;
        for (Dataset.Task t : dataset.tasks()) {
            Integer classes = model.spec().heads().get(t.name());
            if (classes == null || classes != t.classes()) return false;
        }
        return true;
    }

    /**
     * Each example's logits from its task's head, in the dataset's class space: the task's columns
     * hold the head's logits and every other column {@link #OTHER_TASK}, so the argmax is the head's
     * (offset to the task's classes) and the cross-entropy the head's own (e^(OTHER_TASK − max) is 0
     * in double); the task ids and names go along for per-task figures.
     */
    static Predictions taskPredictions(TensorOps ops, Mlp model, Dataset dataset, Dataset.Split split) {
        int rows = split.size(), cols = split.x().dim(1), classes = dataset.classes().size();
        float[] y = split.y().data(), out = new float[rows * classes];
        Arrays.fill(out, OTHER_TASK);
        int[] task = new int[rows];
        List<Dataset.Task> tasks = dataset.tasks();
        for (int t = 0; t < tasks.size(); t++) {
            Dataset.Task tk = tasks.get(t);
            int n = 0;
            for (int i = 0; i < rows; i++) if (tk.holds(y[i])) n++;
            if (n == 0) continue;
            float[] x = new float[n * cols];
            int[] rowOf = new int[n];
            for (int i = 0, at = 0; i < rows; i++) {
                if (!tk.holds(y[i])) continue;
                System.arraycopy(split.x().data(), i * cols, x, at * cols, cols);
                task[i] = t;
                rowOf[at++] = i;
            }
            float[] z = logits(ops, model, tk.name(), Tensor.of(x, n, cols)).data();
            for (int r = 0; r < n; r++) System.arraycopy(z, r * tk.classes(), out, rowOf[r] * classes + tk.firstClass(), tk.classes());
        }
        return Predictions.ofLogits(Tensor.of(out, rows, classes), task, tasks.stream().map(Dataset.Task::name).toList());
    }

    /** The logit of another task's class: finite (predictions need finite logits), never the largest, adding nothing to a softmax. */
    static final float OTHER_TASK = -1e30f;

    /** Logits [rows, classes] of x [rows, inputs], BATCH rows per forward pass. */
    public static Tensor logits(TensorOps ops, Mlp model, String head, Tensor x) {
        int rows = x.dim(0), cols = x.dim(1), classes = model.spec().heads().get(head);
        float[] out = new float[rows * classes];
        for (int from = 0; from < rows; from += BATCH) {
            int to = Math.min(rows, from + BATCH);
            float[] part = new float[(to - from) * cols];
            System.arraycopy(x.data(), from * cols, part, 0, part.length);
            Tensor z = model.logits(ops, Tensor.of(part, to - from, cols), head);
            System.arraycopy(z.data(), 0, out, from * classes, z.size());
        }
        return Tensor.of(out, rows, classes);
    }
}
