package org.mtflow.nodes.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.nodes.data.Dataset;

/**
 * Scores a model's predictions on a dataset split against its labels: per-task accuracy, loss and
 * confusion matrix as a {@link Metrics} artifact; the headline figures as metrics of the task.
 */
public final class MetricsNode implements NodeType<MetricsNode.Params> {

    public record Params(@Doc("the split the predictions are of: test (default) or train") String split) {
        public Params {
            if (split == null) split = "test";
            if (!split.equals("test") && !split.equals("train")) {
                throw new IllegalArgumentException("split must be 'test' or 'train', got '" + split + "'");
            }
        }
    }

    @Override public String name() { return "eval.metrics"; }
    @Override public String description() { return "Accuracy, cross-entropy and confusion matrix per task of predictions against a dataset split."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.one("predictions", "a predictions artifact (" + Predictions.FORMAT + "): logits or labels, one per example of the split, optional task ids").of(Port.Kind.TENSOR),
                Port.one("dataset", "the dataset whose split holds the true labels").of(Port.Kind.DATASET));
    }

    @Override public List<Port> outputs() { return List.of(Port.one("metrics", "the figures (" + Metrics.FORMAT + ")").of(Port.Kind.JSON)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        String split = ctx.params().split();
        Predictions predictions;
        Dataset dataset;
        try {
            predictions = Predictions.read(ctx.input("predictions"));
            dataset = Dataset.read(ctx.input("dataset"));
        } catch (FormatException e) {
            throw NodeException.permanent(e.getMessage());
        }
        Dataset.Split s = dataset.splits().get(split);
        int classes = dataset.classes().isEmpty() && predictions.logits() != null ? predictions.logits().dim(1) : dataset.classes().size();
        Metrics m;
        try {
            m = Evaluation.evaluate(predictions, labels(s, dataset.name(), split), dataset.classes(), classes, dataset.name(), split, dataset.name());
        } catch (IllegalArgumentException e) {
            throw NodeException.permanent("predictions do not fit dataset " + dataset.name() + ": " + e.getMessage());
        }
        ctx.metric("examples", m.examples());
        ctx.metric("accuracy", m.accuracy());
        ctx.metric("macro-accuracy", m.macroAccuracy());
        if (m.loss() != null) ctx.metric("loss", m.loss());
        Map<String, Object> perTask = new LinkedHashMap<>();
        m.tasks().forEach((k, t) -> perTask.put(k, t.accuracy()));
        ctx.metric("task-accuracy", perTask);
        ctx.output("metrics", m::write);
    }

    private static int[] labels(Dataset.Split s, String dataset, String split) throws NodeException {
        float[] y = s.y().data();
        int[] out = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = (int) y[i];
            if (out[i] != y[i]) {
                throw NodeException.permanent("dataset " + dataset + ": " + split + " label " + i + " is " + y[i] + ", not a class index");
            }
        }
        return out;
    }
}
