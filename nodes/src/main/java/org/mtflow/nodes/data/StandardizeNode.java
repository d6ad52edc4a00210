package org.mtflow.nodes.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.TensorArtifacts;

/**
 * Rescales each feature by figures of the train split alone (so nothing of val or test leaks into
 * them), applied alike to every split: {@code standardize} maps x to (x − mean) / std, {@code
 * normalize} to (x − min) / (max − min), train's range onto [0, 1]. A constant feature (std or range
 * 0) is only shifted. Figures in float64, each value rounded once to float.
 */
public final class StandardizeNode implements NodeType<StandardizeNode.Params> {

    public enum Mode { STANDARDIZE, NORMALIZE }

    public record Params(@Doc("standardize (mean 0, std 1; default) or normalize (min-max to [0, 1])") Mode mode) {
        public Params {
            if (mode == null) mode = Mode.STANDARDIZE;
        }
    }

    @Override public String name() { return "data.standardize"; }
    @Override public String description() { return "Per-feature standardization or min-max normalization by the train split's figures."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.one("dataset", "a dataset artifact").of(Port.Kind.DATASET)); }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("dataset", "the rescaled dataset").of(Port.Kind.DATASET),
                Port.one("scaler", "[2, features]: the shift (mean or min) and the scale (std or range, 1 for a constant feature)").of(Port.Kind.TENSOR));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Dataset ds = Dataset.read(ctx.input("dataset"));
        double[][] scaler = scaler(ds.train().x(), ctx.params().mode());
        Map<String, Dataset.Split> out = new LinkedHashMap<>();
        ds.splits().forEach((name, s) -> out.put(name, new Dataset.Split(apply(s.x(), scaler), s.y())));
        Dataset result = ds.withSplits(out.get("train"), out.get("val"), out.get("test"));
        int f = ds.train().x().dim(1);
        float[] sc = new float[2 * f];
        for (int j = 0; j < f; j++) {
            sc[j] = (float) scaler[0][j];
            sc[f + j] = (float) scaler[1][j];
        }
        long constant = java.util.Arrays.stream(scaler[2]).filter(c -> c != 0).count();
        ctx.metric("constant-features", constant);
        ctx.output("dataset", result::write);
        TensorArtifacts.write(ctx, "scaler", Tensor.of(sc, 2, f));
    }

    /** {shift, scale, constant (1 when the feature does not vary in train)} per feature. */
    static double[][] scaler(Tensor x, Mode mode) {
        int n = x.dim(0), f = x.dim(1);
        if (n == 0) throw new IllegalArgumentException("the train split is empty: nothing to take figures from");
        double[] shift = new double[f], scale = new double[f], constant = new double[f];
        float[] d = x.data();
        for (int j = 0; j < f; j++) {
            double a, b;
            if (mode == Mode.STANDARDIZE) {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += d[i * f + j];
                a = sum / n;
                double sq = 0;
                for (int i = 0; i < n; i++) { double c = d[i * f + j] - a; sq += c * c; }
                b = Math.sqrt(sq / n);
            } else {
                double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) { min = Math.min(min, d[i * f + j]); max = Math.max(max, d[i * f + j]); }
                a = min;
                b = max - min;
            }
            shift[j] = a;
            constant[j] = b == 0 ? 1 : 0;
            scale[j] = b == 0 ? 1 : b;
        }
        return new double[][] {shift, scale, constant};
    }

    static Tensor apply(Tensor x, double[][] scaler) {
        int n = x.dim(0), f = x.dim(1);
        float[] in = x.data(), out = new float[in.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f; j++) out[i * f + j] = (float) ((in[i * f + j] - scaler[0][j]) / scaler[1][j]);
        }
        return Tensor.of(out, n, f);
    }
}
