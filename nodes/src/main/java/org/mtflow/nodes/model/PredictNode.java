package org.mtflow.nodes.model;

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

/** A model's logits for every example of a dataset split, in example order: what eval.metrics scores. */
public final class PredictNode implements NodeType<PredictNode.Params> {
    /** Rows per forward pass: bounds the activations' memory on large splits. */
    static final int BATCH = 1024;

    public record Params(
            @Doc("the split to predict: test (default) or train") String split,
            @Doc("the head to predict with, default the model's only head") String head) {
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
        String head = head(model, ctx.params().head());
        Dataset.Split split = dataset.splits().get(ctx.params().split());
        if (split.x().rank() != 2 || split.x().dim(1) != model.spec().inputs()) {
            throw NodeException.permanent("dataset " + dataset.name() + "'s " + ctx.params().split() + " inputs are " + split.x()
                    + " but the model takes " + model.spec().inputs() + " features per row; predict with a model trained on this kind of data");
        }
        Tensor logits = logits(ctx.ops(), model, head, split.x());
        Predictions predictions;
        try {
            predictions = Predictions.ofLogits(logits, null, List.of());
        } catch (IllegalArgumentException e) {
            throw NodeException.permanent("model head '" + head + "': " + e.getMessage());
        }
        ctx.metric("backend", ctx.ops().name());
        ctx.metric("head", head);
        ctx.metric("examples", predictions.size());
        ctx.output("predictions", predictions::write);
    }

    /** The named head, or the model's only one when none is named. */
    static String head(Mlp model, String named) throws NodeException {
        var heads = model.spec().heads().keySet();
        if (named != null) {
            if (!heads.contains(named)) throw NodeException.permanent("the model has no head '" + named + "'; its heads are " + heads);
            return named;
        }
        if (heads.size() != 1) throw NodeException.permanent("the model has heads " + heads + "; name one with param head");
        return heads.iterator().next();
    }

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
