package org.mtflow.nodes.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.data.Dataset;

/**
 * Per split of a dataset: the number of examples, the count of each class, and the mean feature
 * value (a sum reduction on the task's device). Reported as metrics and as a JSON artifact.
 */
public final class DatasetStatsNode implements NodeType<NoParams> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override public String name() { return "eval.dataset-stats"; }
    @Override public String description() { return "Class counts and feature mean of each split of a dataset."; }
    @Override public Class<NoParams> paramsType() { return NoParams.class; }
    @Override public List<Port> inputs() { return List.of(Port.one("dataset", "a dataset artifact").of(Port.Kind.DATASET)); }
    @Override public List<Port> outputs() { return List.of(Port.one("stats", "the same figures").of(Port.Kind.JSON)); }

    @Override
    public void run(TaskContext<NoParams> ctx) throws Exception {
        Dataset ds = Dataset.read(ctx.input("dataset"));
        ObjectNode stats = JSON.createObjectNode();
        stats.put("dataset", ds.name());
        stats.set("classes", JSON.valueToTree(ds.classes()));
        for (Map.Entry<String, Dataset.Split> e : ds.splits().entrySet()) {
            Dataset.Split s = e.getValue();
            ObjectNode split = stats.putObject(e.getKey());
            split.put("examples", s.size());
            split.set("class-counts", JSON.valueToTree(classCounts(s.y(), ds.classes())));
            Tensor x = s.x();
            split.put("feature-mean", x.size() == 0 ? 0 : ctx.ops().sum(x) / x.size());
        }
        stats.fieldNames().forEachRemaining(k -> ctx.metric(k, stats.get(k)));
        ctx.output("stats", out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stats)));
    }

    /** Class name → number of examples, in class order; labels outside the classes are counted as "other". */
    static Map<String, Long> classCounts(Tensor labels, List<String> classes) {
        long[] counts = new long[classes.size()];
        long other = 0;
        for (float y : labels.data()) {
            int c = (int) y;
            if (c == y && c >= 0 && c < counts.length) counts[c]++;
            else other++;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < counts.length; i++) out.put(classes.get(i), counts[i]);
        if (other > 0) out.put("other", other);
        return out;
    }
}
