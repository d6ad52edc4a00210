package org.mtflow.nodes.train;

import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.nodes.model.Optimizer;

/**
 * Kendall, Gal and Cipolla (2018): a learned log-variance s_t per task, total loss
 * Σ exp(−s_t)·L_t + s_t; the s_t take optimizer steps along with the model (no weight decay), so a
 * noisy task's weight exp(−s_t) shrinks. The optimum s_t = ln L_t makes a weight 1/L_t, which grows
 * without bound as a task's loss nears 0: under SGD with momentum the s_t take unbounded steps and a
 * run can blow a task up (seen at lr 0.05–0.1 on easy synthetic tasks); AdamW bounds the steps.
 */
public final class UncertaintyWeighting implements TaskWeighting {
    private final Tensor s;
    private final Optimizer opt;

    UncertaintyWeighting(int tasks, Optimizer.Kind kind, float momentum) {
        s = Tensor.zeros(tasks);
        opt = new Optimizer(kind, momentum, 0f);
    }

    /** Σ exp(−s_t)·L_t + s_t. */
    static double objective(double[] s, double[] losses) {
        double sum = 0;
        for (int t = 0; t < s.length; t++) sum += Math.exp(-s[t]) * losses[t] + s[t];
        return sum;
    }

    /** d objective / d s_t = 1 − exp(−s_t)·L_t. */
    static double[] gradient(double[] s, double[] losses) {
        double[] g = new double[s.length];
        for (int t = 0; t < s.length; t++) g[t] = 1 - Math.exp(-s[t]) * losses[t];
        return g;
    }

    @Override
    public void combine(TensorOps ops, double[] losses, List<Map<String, Tensor>> grads, List<String> shared, float lr, long step,
                        Map<String, Tensor> out) {
        double[] w = weights();
        TaskWeighting.weightedSum(ops, w, grads, out);
        double[] g = gradient(logVariances(), losses);
        float[] gf = new float[g.length];
        for (int t = 0; t < g.length; t++) gf[t] = (float) g[t];
        opt.step(ops, Map.of("s", s), Map.of("s", Tensor.of(gf, g.length)), lr);
    }

    @Override
    public Map<String, Tensor> stateTensors() {
        Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("s", s);
        opt.state().forEach((k, t) -> m.put("opt." + k, t));
        return m;
    }

    @Override public double[] stateNumbers() { return new double[] {opt.steps()}; }

    @Override
    public void restore(Map<String, Tensor> tensors, double[] numbers) {
        System.arraycopy(tensors.get("s").data(), 0, s.data(), 0, s.size());
        Map<String, Tensor> o = new java.util.LinkedHashMap<>();
        tensors.forEach((k, t) -> {
            if (k.startsWith("opt.")) o.put(k.substring(4), t);
        });
        opt.restore(o, (int) numbers[0]);
    }

    double[] logVariances() {
        double[] v = new double[s.size()];
        for (int t = 0; t < v.length; t++) v[t] = s.data()[t];
        return v;
    }

    @Override
    public double[] weights() {
        double[] v = logVariances();
        for (int t = 0; t < v.length; t++) v[t] = Math.exp(-v[t]);
        return v;
    }
}
