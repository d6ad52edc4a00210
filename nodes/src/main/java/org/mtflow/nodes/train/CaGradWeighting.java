package org.mtflow.nodes.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Liu et al. (2021), CAGrad (conflict-averse gradient descent): with the tasks' shared gradients
 * g_1..g_T and their mean g_0, find simplex weights w minimising
 * {@code F(w) = g_wᵀg_0 + c·‖g_0‖·‖g_w‖} (g_w = Σ w_i g_i: the worst-case direction within a ball of
 * radius c·‖g_0‖ around g_0), then step along {@code d = (g_0 + c·‖g_0‖/‖g_w‖ · g_w) / (1 + c²)}
 * (the authors' rescaled update). c = 0 is the mean gradient; larger c trades average progress for
 * the worst task's. Here d is multiplied by T, so that c = 0 gives exactly the equal weighting's sum.
 * F needs only the Gram matrix of the gradients (T dot products each); the T-dimensional problem is
 * solved in double by projected gradient descent with backtracking, a fixed number of steps, so the
 * result is deterministic. Heads are not shared: their gradients pass unchanged.
 */
public final class CaGradWeighting implements TaskWeighting {
    /** Projected-gradient iterations: T is a handful of tasks, so this is cheap and converges far below float precision. */
    static final int ITERATIONS = 500;
    private final double c;
    private final double[] w;

    CaGradWeighting(int tasks, double c) {
        if (!(c >= 0)) throw new IllegalArgumentException("cagrad's c must be >= 0, got " + c);
        this.c = c;
        w = new double[tasks];
        Arrays.fill(w, 1);
    }

    /**
     * The coefficient of each task's gradient in T·d, from the Gram matrix {@code gram[i][j] = g_iᵀg_j}:
     * {@code T·(1/T + λ·w_i) / (1 + c²)} with w the minimiser of F and λ = c·‖g_0‖/‖g_w‖.
     */
    static double[] coefficients(double[][] gram, double c) {
        int t = gram.length;
        double[] b = new double[t]; // b_i = g_iᵀg_0
        double g0 = 0;
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) b[i] += gram[i][j] / t;
            g0 += b[i] / t;
        }
        double radius = c * Math.sqrt(Math.max(g0, 0));
        double[] w = new double[t];
        Arrays.fill(w, 1.0 / t);
        // Steps in units of 1/(largest squared gradient norm), the scale of F's curvature; capped, since at a
        // vertex every step is accepted and an unbounded one would swamp the projection's precision.
        double scale = 0;
        for (int i = 0; i < t; i++) scale = Math.max(scale, gram[i][i]);
        double maxStep = scale > 0 ? 10 / scale : 1, step = maxStep / 10, f = objective(gram, b, radius, w);
        for (int it = 0; it < ITERATIONS && radius > 0; it++) {
            double[] grad = gradient(gram, b, radius, w);
            while (true) {
                double[] next = new double[t];
                for (int i = 0; i < t; i++) next[i] = w[i] - step * grad[i];
                next = ontoSimplex(next);
                double fn = objective(gram, b, radius, next), decrease = 0;
                for (int i = 0; i < t; i++) decrease += grad[i] * (w[i] - next[i]) - (w[i] - next[i]) * (w[i] - next[i]) / (2 * step);
                if (fn <= f - decrease + 1e-15 || step < 1e-12) { // sufficient decrease (the quadratic upper bound holds)
                    w = next;
                    f = fn;
                    step = Math.min(2 * step, maxStep);
                    break;
                }
                step /= 2;
            }
        }
        double gw = Math.sqrt(Math.max(quad(gram, w), 0));
        double lambda = gw > 0 ? radius / gw : 0;
        double[] coef = new double[t];
        for (int i = 0; i < t; i++) coef[i] = t * (1.0 / t + lambda * w[i]) / (1 + c * c);
        return coef;
    }

    private static double quad(double[][] gram, double[] w) {
        double s = 0;
        for (int i = 0; i < w.length; i++) for (int j = 0; j < w.length; j++) s += w[i] * gram[i][j] * w[j];
        return s;
    }

    private static double objective(double[][] gram, double[] b, double radius, double[] w) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += w[i] * b[i];
        return s + radius * Math.sqrt(Math.max(quad(gram, w), 0));
    }

    private static double[] gradient(double[][] gram, double[] b, double radius, double[] w) {
        double norm = Math.sqrt(Math.max(quad(gram, w), 0));
        double[] g = b.clone();
        if (norm == 0) return g;
        for (int i = 0; i < w.length; i++) {
            double gw = 0;
            for (int j = 0; j < w.length; j++) gw += gram[i][j] * w[j];
            g[i] += radius * gw / norm;
        }
        return g;
    }

    /** The Euclidean projection onto {w ≥ 0, Σw = 1} (sort, then shift by the threshold). */
    static double[] ontoSimplex(double[] v) {
        double[] u = v.clone();
        Arrays.sort(u);
        double sum = 0, theta = 0;
        for (int k = u.length - 1; k >= 0; k--) {
            sum += u[k];
            double th = (sum - 1) / (u.length - k);
            if (k == 0 || u[k - 1] <= th) {
                theta = th;
                break;
            }
        }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.max(v[i] - theta, 0);
        return out;
    }

    @Override
    public void combine(TensorOps ops, double[] losses, List<Map<String, Tensor>> grads, List<String> shared, float lr, long step,
                        Map<String, Tensor> out) {
        int t = grads.size();
        double[][] gram = new double[t][t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (String name : shared) s += ops.dot(grads.get(i).get(name), grads.get(j).get(name));
                gram[i][j] = gram[j][i] = s;
            }
        }
        double[] coef = coefficients(gram, c);
        System.arraycopy(coef, 0, w, 0, t);
        List<Map<String, Tensor>> trunk = new ArrayList<>(), heads = new ArrayList<>();
        for (Map<String, Tensor> g : grads) {
            Map<String, Tensor> s = new LinkedHashMap<>(), h = new LinkedHashMap<>(g);
            for (String name : shared) s.put(name, g.get(name));
            h.keySet().removeAll(shared);
            trunk.add(s);
            heads.add(h);
        }
        TaskWeighting.weightedSum(ops, coef, trunk, out);
        double[] ones = new double[t];
        Arrays.fill(ones, 1);
        TaskWeighting.weightedSum(ops, ones, heads, out);
    }

    /** The last step's coefficients of the shared gradients (1 each before the first step and when c = 0). */
    @Override public double[] weights() { return w.clone(); }
}
