package org.mtflow.nodes.agent;

/**
 * Gaussian-process regression over the unit cube with a zero prior mean and the Matérn 5/2 ARD kernel
 * k(a, b) = s²·(1 + √5·r + 5r²/3)·exp(−√5·r), r² = Σ ((a_j − b_j) / ℓ_j)², observed with Gaussian
 * noise of variance σ²: the posterior at x has mean k*ᵀ(K + σ²I)⁻¹y and variance
 * k(x, x) − k*ᵀ(K + σ²I)⁻¹k* (of the function, not of a new noisy observation). Callers standardise y.
 */
final class GaussianProcess {

    /** Kernel hyperparameters: per-dimension length scales, the signal variance s², the noise variance σ². */
    record Hyper(double[] lengths, double signal, double noise) {}

    private static final double SQRT5 = Math.sqrt(5);
    /** Bounds of the fitted log-params, for standardised scores over the unit cube. */
    private static final double LOG_LENGTH_LO = StrictMath.log(0.01), LOG_LENGTH_HI = StrictMath.log(20);
    private static final double LOG_SIGNAL_LO = StrictMath.log(0.05), LOG_SIGNAL_HI = StrictMath.log(20);
    private static final double LOG_NOISE_LO = StrictMath.log(1e-6), LOG_NOISE_HI = StrictMath.log(2);

    private final double[][] x;
    private final Hyper hyper;
    private final double[][] chol;
    private final double[] alpha;
    private final double logMarginal;

    /** The posterior given observations y at points x; fails if the kernel matrix is not positive definite even with jitter. */
    GaussianProcess(double[][] x, double[] y, Hyper hyper) {
        this(x, y, hyper, x.length);
    }

    /**
     * The posterior where only the first {@code noisy} observations carry the noise: the rest are
     * exact (a batch's believed values, which must leave no uncertainty where they are).
     */
    GaussianProcess(double[][] x, double[] y, Hyper hyper, int noisy) {
        this.x = x;
        this.hyper = hyper;
        int n = x.length;
        double[][] k = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                k[i][j] = k[j][i] = kernel(x[i], x[j], hyper) + (i == j && i < noisy ? hyper.noise() : 0);
            }
        }
        chol = Linalg.cholesky(k);
        if (chol == null) throw new IllegalStateException("GP kernel matrix of " + n + " points is not positive definite");
        alpha = Linalg.backward(chol, Linalg.forward(chol, y));
        double logDet = 0;
        for (int i = 0; i < n; i++) logDet += StrictMath.log(chol[i][i]);
        logMarginal = -0.5 * Linalg.dot(y, alpha) - logDet - 0.5 * n * StrictMath.log(2 * Math.PI);
    }

    static double kernel(double[] a, double[] b, Hyper h) {
        double r2 = 0;
        for (int j = 0; j < a.length; j++) {
            double t = (a[j] - b[j]) / h.lengths()[j];
            r2 += t * t;
        }
        double r = Math.sqrt(r2);
        return h.signal() * (1 + SQRT5 * r + 5 * r2 / 3) * StrictMath.exp(-SQRT5 * r);
    }

    Hyper hyper() { return hyper; }

    double logMarginal() { return logMarginal; }

    private double[] cross(double[] p) {
        double[] k = new double[x.length];
        for (int i = 0; i < x.length; i++) k[i] = kernel(p, x[i], hyper);
        return k;
    }

    double mean(double[] p) { return Linalg.dot(cross(p), alpha); }

    /** Posterior mean and variance (clamped at 0) at p. */
    double[] predict(double[] p) {
        double[] k = cross(p);
        double[] v = Linalg.forward(chol, k);
        return new double[] {Linalg.dot(k, alpha), Math.max(0, hyper.signal() - Linalg.dot(v, v))};
    }

    /**
     * Hyperparameters maximising the log marginal likelihood of standardised y: Nelder–Mead on
     * (log ℓ_1..d, log s², log σ²) from three fixed starts (short, medium and long length scales),
     * inside bounds (ℓ in [0.01, 20], s² in [0.05, 20], σ² in [1e-6, 2]).
     */
    static Hyper fit(double[][] x, double[] y) {
        int d = x[0].length;
        double[][] starts = {start(d, 0.2, 1e-3), start(d, 0.5, 1e-2), start(d, 1.5, 1e-4)};
        Hyper best = null;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (double[] s : starts) {
            double[] theta = NelderMead.minimize(t -> -penalised(x, y, t), s, 0.7, 60 * (d + 2));
            Hyper h = hyper(clamp(theta));
            double v = likelihood(x, y, h);
            if (v > bestValue) {
                bestValue = v;
                best = h;
            }
        }
        return best != null ? best : hyper(starts[1]);
    }

    private static double[] start(int d, double length, double noise) {
        double[] t = new double[d + 2];
        java.util.Arrays.fill(t, 0, d, StrictMath.log(length));
        t[d] = 0;
        t[d + 1] = StrictMath.log(noise);
        return t;
    }

    /** The likelihood at the clamped params, less a quadratic pull back inside the bounds. */
    private static double penalised(double[][] x, double[] y, double[] theta) {
        double[] c = clamp(theta);
        double out = 0;
        for (int i = 0; i < c.length; i++) out += (theta[i] - c[i]) * (theta[i] - c[i]);
        return likelihood(x, y, hyper(c)) - 10 * out;
    }

    private static double likelihood(double[][] x, double[] y, Hyper h) {
        try {
            return new GaussianProcess(x, y, h).logMarginal();
        } catch (IllegalStateException notPositiveDefinite) {
            return Double.NEGATIVE_INFINITY;
        }
    }

    private static double[] clamp(double[] theta) {
        int d = theta.length - 2;
        double[] c = theta.clone();
        for (int j = 0; j < d; j++) c[j] = Math.max(LOG_LENGTH_LO, Math.min(LOG_LENGTH_HI, c[j]));
        c[d] = Math.max(LOG_SIGNAL_LO, Math.min(LOG_SIGNAL_HI, c[d]));
        c[d + 1] = Math.max(LOG_NOISE_LO, Math.min(LOG_NOISE_HI, c[d + 1]));
        return c;
    }

    private static Hyper hyper(double[] theta) {
        int d = theta.length - 2;
        double[] lengths = new double[d];
        for (int j = 0; j < d; j++) lengths[j] = StrictMath.exp(theta[j]);
        return new Hyper(lengths, StrictMath.exp(theta[d]), StrictMath.exp(theta[d + 1]));
    }

    /** Expected improvement over {@code best} of a normal(mean, sd²) value (maximising). */
    static double expectedImprovement(double mean, double sd, double best) {
        double gain = mean - best;
        if (!(sd > 1e-12)) return Math.max(0, gain);
        double z = gain / sd;
        return gain * normalCdf(z) + sd * StrictMath.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    }

    /** Φ(z) through erfc's Chebyshev fit (fractional error below 1.2e-7 everywhere). */
    static double normalCdf(double z) {
        double x = -z / Math.sqrt(2), ax = Math.abs(x);
        double t = 1 / (1 + 0.5 * ax);
        double erfc = t * StrictMath.exp(-ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return 0.5 * (x >= 0 ? erfc : 2 - erfc);
    }
}
