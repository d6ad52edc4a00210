package org.mtflow.nodes.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.format.FormatException;

/**
 * Normalized accuracy of a model (say, a merged one): its accuracy on each task divided by the
 * accuracy of that task's own fine-tuned model, from their metrics artifacts.
 */
public final class NormalizedAccuracyNode implements NodeType<NoParams> {
    @Override public String name() { return "eval.normalized"; }
    @Override public String description() { return "Per-task accuracy of a model divided by each task's fine-tuned model's accuracy, and their mean."; }
    @Override public Class<NoParams> paramsType() { return NoParams.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.many("metrics", "the model's metrics artifacts (one per dataset it was evaluated on); each task once").of(Port.Kind.JSON),
                Port.many("references", "metrics artifacts of the fine-tuned models, one per task; each task once").of(Port.Kind.JSON));
    }

    @Override public List<Port> outputs() { return List.of(Port.one("normalized", "per task accuracy, reference accuracy and their ratio, and the means (" + NormalizedAccuracy.FORMAT + ")").of(Port.Kind.JSON)); }

    @Override
    public void run(TaskContext<NoParams> ctx) throws Exception {
        NormalizedAccuracy n;
        try {
            n = NormalizedAccuracy.of(NormalizedAccuracy.accuracies(read(ctx.inputs("metrics")), names("metrics", ctx.inputRefs("metrics").size())),
                    NormalizedAccuracy.accuracies(read(ctx.inputs("references")), names("references", ctx.inputRefs("references").size())));
        } catch (IllegalArgumentException e) {
            throw NodeException.permanent(e.getMessage());
        }
        ctx.metric("normalized-accuracy", n.mean());
        ctx.metric("mean-accuracy", n.meanAccuracy());
        Map<String, Double> perTask = new LinkedHashMap<>();
        n.tasks().forEach((k, t) -> perTask.put(k, t.normalized()));
        ctx.metric("task-normalized-accuracy", perTask);
        ctx.output("normalized", out -> out.write(Metrics.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n)));
    }

    private static List<Metrics> read(List<Path> files) throws NodeException {
        List<Metrics> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(Metrics.read(f));
            } catch (FormatException e) {
                throw NodeException.permanent(e.getMessage());
            } catch (java.io.IOException e) {
                throw NodeException.transientError("cannot read " + f + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static List<String> names(String input, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(input + "[" + i + "]");
        return out;
    }
}
