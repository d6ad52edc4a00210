package org.mtflow.nodes.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.format.FormatException;

/**
 * A study's results table: many models' metrics (a row each, labelled by {@code rows}) next to the
 * fine-tuned models' (the references, a row of their own), as accuracy and normalized accuracy per
 * task. Recorded as two table metrics, which {@code mtflow run} prints when the run ends.
 */
public final class ResultsTableNode implements NodeType<ResultsTableNode.Params> {

    public record Params(
            @Required @Doc("a label per metrics input, in its order: the rows of the table") List<String> rows,
            @Doc("the label of the references' row (default 'fine-tuned (one per task)')") String reference) {
        public Params {
            if (reference == null) reference = "fine-tuned (one per task)";
            if (rows != null) {
                for (int i = 0; i < rows.size(); i++) {
                    if (rows.get(i) == null || rows.get(i).isBlank()) throw new IllegalArgumentException("rows[" + i + "] is empty: give every row a label");
                    if (rows.indexOf(rows.get(i)) != i) {
                        throw new IllegalArgumentException("rows[" + i + "] '" + rows.get(i) + "' is rows[" + rows.indexOf(rows.get(i)) + "] too: give every row its own label");
                    }
                }
                rows = List.copyOf(rows);
            }
        }
    }

    @Override public String name() { return "eval.table"; }
    @Override public String description() { return "A results table: per model, accuracy and normalized accuracy on every task and their means, next to the fine-tuned models'."; }
    @Override public Class<Params> paramsType() { return Params.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.many("metrics", "a metrics artifact per row (" + Metrics.FORMAT + "), each with every task's accuracy").of(Port.Kind.JSON),
                Port.many("references", "metrics artifacts of the fine-tuned models, one per task; each task once").of(Port.Kind.JSON));
    }

    @Override public List<Port> outputs() { return List.of(Port.one("table", "the table (" + ResultsTable.FORMAT + ")").of(Port.Kind.JSON)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        List<String> labels = ctx.params().rows();
        List<Path> files = ctx.inputs("metrics");
        if (labels.size() != files.size()) {
            throw NodeException.permanent("rows has " + labels.size() + " labels for " + files.size()
                    + " metrics inputs: give one label per metrics input, in its order");
        }
        ResultsTable table;
        try {
            List<Path> refs = ctx.inputs("references");
            List<String> refNames = new ArrayList<>();
            for (int i = 0; i < refs.size(); i++) refNames.add("references[" + i + "]");
            Map<String, Map<String, Double>> models = new LinkedHashMap<>();
            for (int i = 0; i < files.size(); i++) {
                models.put(labels.get(i), NormalizedAccuracy.accuracies(List.of(Metrics.read(files.get(i))), List.of("metrics[" + i + "]")));
            }
            List<Metrics> refMetrics = new ArrayList<>();
            for (Path f : refs) refMetrics.add(Metrics.read(f));
            table = ResultsTable.of(ctx.params().reference(), NormalizedAccuracy.accuracies(refMetrics, refNames), models);
        } catch (FormatException | IllegalArgumentException e) {
            throw NodeException.permanent(e.getMessage());
        } catch (java.io.IOException e) {
            throw NodeException.transientError("cannot read a metrics input: " + e.getMessage());
        }
        ctx.metric("accuracy", table.accuracyTable());
        ctx.metric("normalized", table.normalizedTable());
        ctx.output("table", out -> out.write(Metrics.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(table)));
    }
}
