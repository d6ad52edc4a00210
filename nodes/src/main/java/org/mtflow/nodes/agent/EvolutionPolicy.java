package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * CMA-ES, the (μ/μ_w, λ) evolution strategy with covariance matrix adaptation (Hansen's tutorial
 * defaults), over the unit cube: one generation is one batch of λ candidates.
 *
 * <p>Options: {@code population} λ (default 4 + ⌊3 ln d⌋, at least 2); {@code sigma} the initial
 * step size in unit-cube coordinates (default 0.3). The search starts at the centre of the cube.
 *
 * <p>Algorithm: generation g samples x_k = m + σ·B·D·z_k with z_k standard normal from the draws keyed
 * by (g, k), reflected into [0, 1] at the faces (the reflected point is the one run and the one the
 * update learns from). Once the whole generation is in the history, the μ = ⌊λ/2⌋ best (by the first
 * score, failed last, ties to the lower index) move the mean by the log-decreasing weights, update the
 * evolution paths p_σ, p_c, the covariance C (rank-one and rank-μ) and σ (cumulative step-size
 * adaptation). The state is rebuilt from the history at each call, so a resumed search continues the
 * same run. A call proposes at most the rest of the current generation: the next needs its results.
 */
public final class EvolutionPolicy implements SearchPolicy {
    private final SearchSpace space;
    private final int lambda;
    private final double sigma0;
    private final Draws draws;

    public EvolutionPolicy(SearchSpace space, int lambda, double sigma0, long seed) {
        if (lambda < 2) throw new IllegalArgumentException("evolution population must be >= 2, got " + lambda);
        if (!(sigma0 > 0)) throw new IllegalArgumentException("evolution sigma must be > 0, got " + sigma0);
        this.space = space;
        this.lambda = lambda;
        this.sigma0 = sigma0;
        this.draws = new Draws(seed, "agent.search", "evolution");
    }

    static EvolutionPolicy create(SearchSpace space, ObjectNode options, long seed) {
        SearchPolicies.Options o = new SearchPolicies.Options("evolution", options, "population", "sigma");
        return new EvolutionPolicy(space, o.integer("population", defaultPopulation(space.size()), 2),
                o.has("sigma") ? o.number("sigma", 0, "0.3") : 0.3, seed);
    }

    static int defaultPopulation(int d) { return 4 + (int) Math.floor(3 * StrictMath.log(d)); }

    public int population() { return lambda; }

    @Override
    public List<Candidate> propose(List<Observation> history, int count) {
        State s = new State(space.size(), lambda, sigma0);
        int h = history.size(), g = h / lambda;
        for (int gen = 0; gen < g; gen++) s.update(history.subList(gen * lambda, (gen + 1) * lambda));
        List<Candidate> out = new ArrayList<>();
        for (int k = h - g * lambda; k < lambda && out.size() < count; k++) {
            double[] point = s.sample(draws, (long) g * lambda + k);
            out.add(new Candidate(g * lambda + k, space.decode(point), point));
        }
        return out;
    }

    /** The strategy's state after some generations. */
    static final class State {
        final int d, lambda, mu;
        final double[] weights;
        final double muEff, cSigma, dSigma, cc, c1, cMu, chiN;
        double[] mean;
        double sigma;
        double[][] c, b;
        double[] diag;
        final double[] pSigma, pc;
        int generations;

        State(int d, int lambda, double sigma0) {
            this.d = d;
            this.lambda = lambda;
            this.mu = lambda / 2;
            weights = new double[mu];
            double sum = 0, sumSq = 0;
            for (int i = 0; i < mu; i++) {
                weights[i] = StrictMath.log((lambda + 1) / 2.0) - StrictMath.log(i + 1);
                sum += weights[i];
            }
            for (int i = 0; i < mu; i++) {
                weights[i] /= sum;
                sumSq += weights[i] * weights[i];
            }
            muEff = 1 / sumSq;
            cSigma = (muEff + 2) / (d + muEff + 5);
            dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (d + 1)) - 1) + cSigma;
            cc = (4 + muEff / d) / (d + 4 + 2 * muEff / d);
            c1 = 2 / ((d + 1.3) * (d + 1.3) + muEff);
            cMu = Math.min(1 - c1, 2 * (muEff - 2 + 1 / muEff) / ((d + 2) * (d + 2) + muEff));
            chiN = Math.sqrt(d) * (1 - 1.0 / (4 * d) + 1.0 / (21.0 * d * d));
            mean = new double[d];
            java.util.Arrays.fill(mean, 0.5);
            sigma = sigma0;
            c = new double[d][d];
            b = new double[d][d];
            diag = new double[d];
            for (int i = 0; i < d; i++) {
                c[i][i] = 1;
                b[i][i] = 1;
                diag[i] = 1;
            }
            pSigma = new double[d];
            pc = new double[d];
        }

        /** Member {@code key} of the current generation: m + σ·B·D·z, reflected into the cube. */
        double[] sample(Draws draws, long key) {
            double[] z = new double[d];
            for (int j = 0; j < d; j++) z[j] = diag[j] * draws.gaussian(key * d + j);
            double[] x = new double[d];
            for (int i = 0; i < d; i++) x[i] = reflect(mean[i] + sigma * Linalg.dot(b[i], z));
            return x;
        }

        /** Folds a coordinate into [0, 1] by mirroring at the faces. */
        static double reflect(double v) {
            double t = v % 2;
            if (t < 0) t += 2;
            return t > 1 ? 2 - t : t;
        }

        /** Learns from one whole generation. */
        void update(List<Observation> members) {
            List<Observation> ranked = new ArrayList<>(members);
            ranked.sort(HalvingPolicy.RANK);
            double[][] y = new double[mu][];
            double[] newMean = new double[d];
            for (int i = 0; i < mu; i++) {
                double[] x = ranked.get(i).candidate().point();
                y[i] = new double[d];
                for (int j = 0; j < d; j++) {
                    y[i][j] = (x[j] - mean[j]) / sigma;
                    newMean[j] += weights[i] * x[j];
                }
            }
            double[] yw = new double[d];
            for (int j = 0; j < d; j++) yw[j] = (newMean[j] - mean[j]) / sigma;
            // C^(-1/2)·y_w = B·D⁻¹·Bᵀ·y_w
            double[] bty = new double[d];
            for (int k = 0; k < d; k++) {
                for (int j = 0; j < d; j++) bty[k] += b[j][k] * yw[j];
                bty[k] /= diag[k];
            }
            double a = Math.sqrt(cSigma * (2 - cSigma) * muEff);
            for (int i = 0; i < d; i++) pSigma[i] = (1 - cSigma) * pSigma[i] + a * Linalg.dot(b[i], bty);
            generations++;
            double psNorm = Math.sqrt(Linalg.dot(pSigma, pSigma));
            boolean hSigma = psNorm / Math.sqrt(1 - StrictMath.pow(1 - cSigma, 2.0 * generations)) < (1.4 + 2.0 / (d + 1)) * chiN;
            double ac = Math.sqrt(cc * (2 - cc) * muEff);
            for (int i = 0; i < d; i++) pc[i] = (1 - cc) * pc[i] + (hSigma ? ac * yw[i] : 0);
            double lost = hSigma ? 0 : c1 * cc * (2 - cc);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    double rankMu = 0;
                    for (int k = 0; k < mu; k++) rankMu += weights[k] * y[k][i] * y[k][j];
                    double v = (1 - c1 - cMu + lost) * c[i][j] + c1 * pc[i] * pc[j] + cMu * rankMu;
                    c[i][j] = v;
                    c[j][i] = v;
                }
            }
            sigma *= StrictMath.exp(cSigma / dSigma * (psNorm / chiN - 1));
            sigma = Math.min(sigma, 1.0); // the cube has side 1: a larger step only reflects
            mean = newMean;
            double[] values = Linalg.symmetricEigen(c, b);
            for (int i = 0; i < d; i++) diag[i] = Math.sqrt(Math.max(values[i], 1e-20));
        }
    }
}
