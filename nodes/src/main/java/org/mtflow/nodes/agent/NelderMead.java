package org.mtflow.nodes.agent;

import java.util.function.ToDoubleFunction;

/**
 * Derivative-free minimisation by the Nelder–Mead simplex (reflection 1, expansion 2, contraction ½,
 * shrink ½), deterministic from its start: the policies fit and maximise with it so a proposal is a
 * pure function of its inputs.
 */
final class NelderMead {
    private NelderMead() {}

    /** The best point found from {@code start} (initial simplex: start plus {@code step} along each axis). */
    static double[] minimize(ToDoubleFunction<double[]> f, double[] start, double step, int maxEvals) {
        int n = start.length;
        double[][] x = new double[n + 1][];
        double[] fx = new double[n + 1];
        for (int i = 0; i <= n; i++) {
            x[i] = start.clone();
            if (i > 0) x[i][i - 1] += step;
            fx[i] = value(f, x[i]);
        }
        int evals = n + 1;
        while (evals < maxEvals) {
            sort(x, fx);
            // converged: the simplex is flat (relative to the value) or has shrunk to a point
            if (Math.abs(fx[n] - fx[0]) <= 1e-9 * (Math.abs(fx[0]) + 1e-12) || spread(x) < 1e-9) break;
            double[] centroid = new double[n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) centroid[j] += x[i][j] / n;
            double[] reflected = along(centroid, x[n], -1);
            double fr = value(f, reflected);
            evals++;
            if (fr < fx[0]) {
                double[] expanded = along(centroid, x[n], -2);
                double fe = value(f, expanded);
                evals++;
                if (fe < fr) { x[n] = expanded; fx[n] = fe; } else { x[n] = reflected; fx[n] = fr; }
            } else if (fr < fx[n - 1]) {
                x[n] = reflected;
                fx[n] = fr;
            } else {
                boolean outside = fr < fx[n];
                double[] contracted = along(centroid, outside ? reflected : x[n], 0.5);
                double fc = value(f, contracted);
                evals++;
                if (fc < (outside ? fr : fx[n])) {
                    x[n] = contracted;
                    fx[n] = fc;
                } else {
                    for (int i = 1; i <= n; i++) {
                        x[i] = along(x[0], x[i], 0.5);
                        fx[i] = value(f, x[i]);
                    }
                    evals += n;
                }
            }
        }
        sort(x, fx);
        return x[0];
    }

    /** NaN counts as +∞, so a failed evaluation is never the best. */
    private static double value(ToDoubleFunction<double[]> f, double[] x) {
        double v = f.applyAsDouble(x);
        return Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
    }

    /** centroid + t·(p − centroid). */
    private static double[] along(double[] centroid, double[] p, double t) {
        double[] out = new double[centroid.length];
        for (int j = 0; j < out.length; j++) out[j] = centroid[j] + t * (p[j] - centroid[j]);
        return out;
    }

    private static double spread(double[][] x) {
        double s = 0;
        for (int i = 1; i < x.length; i++) for (int j = 0; j < x[0].length; j++) s = Math.max(s, Math.abs(x[i][j] - x[0][j]));
        return s;
    }

    /** Insertion sort by value, stable, so equal values keep their order. */
    private static void sort(double[][] x, double[] fx) {
        for (int i = 1; i < fx.length; i++) {
            double[] xi = x[i];
            double fi = fx[i];
            int j = i - 1;
            while (j >= 0 && fx[j] > fi) {
                x[j + 1] = x[j];
                fx[j + 1] = fx[j];
                j--;
            }
            x[j + 1] = xi;
            fx[j + 1] = fi;
        }
    }
}
