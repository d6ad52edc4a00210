package org.mtflow.nodes.merge.aware;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.model.Mlp;

/**
 * Test reference: a ReLU MLP in float64 written from the formulas (layer = x·W + b), independent of
 * Mlp's forward and backward. Weights by Mlp's names, as double arrays [in·out] row-major.
 */
final class Mlp64 {
    final Map<String, double[]> w = new LinkedHashMap<>();
    final List<Integer> sizes;

    Mlp64(Mlp m) {
        m.parameters().forEach((k, t) -> w.put(k, toDouble(t)));
        sizes = m.spec().trunkSizes();
    }

    Mlp64(Map<String, double[]> weights, List<Integer> sizes) {
        w.putAll(weights);
        this.sizes = sizes;
    }

    static double[] toDouble(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) d[i] = t.data()[i];
        return d;
    }

    /** One example's activations: acts.get(l) is the input of trunk layer l; the last is the heads' input. */
    List<double[]> activations(double[] x) {
        List<double[]> acts = new ArrayList<>();
        acts.add(x);
        for (int l = 0; l + 1 < sizes.size(); l++) {
            double[] z = affine(acts.get(l), w.get("trunk." + l + ".weight"), w.get("trunk." + l + ".bias"), sizes.get(l + 1));
            for (int j = 0; j < z.length; j++) z[j] = Math.max(0, z[j]);
            acts.add(z);
        }
        return acts;
    }

    double[] logits(List<double[]> acts, String head) {
        double[] b = w.get("head." + head + ".bias");
        return affine(acts.get(acts.size() - 1), w.get("head." + head + ".weight"), b, b.length);
    }

    static double[] affine(double[] in, double[] weight, double[] bias, int out) {
        double[] z = bias.clone();
        for (int i = 0; i < in.length; i++) for (int j = 0; j < out; j++) z[j] += in[i] * weight[i * out + j];
        return z;
    }

    static double[] logSoftmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double s = 0;
        for (double v : z) s += Math.exp(v - max);
        double lse = max + Math.log(s);
        double[] out = new double[z.length];
        for (int j = 0; j < z.length; j++) out[j] = z[j] - lse;
        return out;
    }

    /** The gradient of every trunk weight and bias for one example, given d loss / d logits. */
    Map<String, double[]> trunkGradients(List<double[]> acts, String head, double[] gLogits) {
        Map<String, double[]> g = new LinkedHashMap<>();
        int layers = sizes.size() - 1;
        double[] ga = back(gLogits, w.get("head." + head + ".weight"), sizes.get(layers));
        for (int l = layers - 1; l >= 0; l--) {
            double[] out = acts.get(l + 1), in = acts.get(l);
            double[] gz = new double[out.length];
            for (int j = 0; j < gz.length; j++) gz[j] = out[j] > 0 ? ga[j] : 0;
            double[] gw = new double[in.length * out.length];
            for (int i = 0; i < in.length; i++) for (int j = 0; j < out.length; j++) gw[i * out.length + j] = in[i] * gz[j];
            g.put("trunk." + l + ".weight", gw);
            g.put("trunk." + l + ".bias", gz);
            ga = back(gz, w.get("trunk." + l + ".weight"), in.length);
        }
        return g;
    }

    /** W·g for a layer's weight [in, out] and gradient g [out]: the gradient of its input. */
    private static double[] back(double[] g, double[] weight, int in) {
        int out = g.length;
        double[] r = new double[in];
        for (int i = 0; i < in; i++) for (int j = 0; j < out; j++) r[i] += weight[i * out + j] * g[j];
        return r;
    }

    static double[] row(Tensor x, int i) {
        double[] r = new double[x.dim(1)];
        for (int j = 0; j < r.length; j++) r[j] = x.data()[i * r.length + j];
        return r;
    }
}
