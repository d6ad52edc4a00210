package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bayesian optimisation: a Gaussian process models the scores over the unit cube, and each proposal
 * maximises the expected improvement under it.
 *
 * <p>Option {@code initial} (default max(5, 2·d)): how many candidates come from a Latin-hypercube
 * design (drawn from the seed) before the model takes over.
 *
 * <p>Algorithm, per proposal after the initial design: the scores of the successful candidates
 * (failed ones are left out of the model, but their params are never proposed again) are standardised
 * and fitted by {@link GaussianProcess} (Matérn 5/2 ARD; length scales, signal and noise variance by
 * maximum marginal likelihood, so noisy scores are smoothed rather than interpolated). Expected
 * improvement is taken over the best posterior mean at the observed points, which for noisy scores is
 * not fooled by one lucky observation. It is maximised over dense uniform candidates plus Gaussian
 * perturbations of the best observed points (all from the draws keyed by the candidate's index), and
 * the best three are refined by Nelder–Mead. Discrete coordinates (ints, choices) sit at their cells'
 * centres, and a point whose params were already proposed is skipped for the next best.
 *
 * <p>A batch (count > 1) is built by the kriging believer: each later member sees the earlier ones as
 * observed exactly at their posterior mean, which leaves the mean alone but removes their uncertainty, so the
 * batch spreads out. The first k members of a batch of any size are the batch of size k.
 *
 * <p>Several objectives (scores longer than one): ParEGO, each proposal scalarises the scores by an
 * augmented Chebyshev function with random simplex weights keyed by its index, over scores
 * normalised to [0, 1] per objective; {@link ParetoFront} gives the result.
 */
public final class BayesPolicy implements SearchPolicy {
    private final SearchSpace space;
    private final int initial;
    private final long seed;

    public BayesPolicy(SearchSpace space, int initial, long seed) {
        if (initial < 1) throw new IllegalArgumentException("bayes initial must be >= 1, got " + initial);
        this.space = space;
        this.initial = initial;
        this.seed = seed;
    }

    static BayesPolicy create(SearchSpace space, ObjectNode options, long seed) {
        SearchPolicies.Options o = new SearchPolicies.Options("bayes", options, "initial");
        return new BayesPolicy(space, o.integer("initial", defaultInitial(space.size()), 1), seed);
    }

    static int defaultInitial(int d) { return Math.max(5, 2 * d); }

    @Override
    public List<Candidate> propose(List<Observation> history, int count) {
        Set<Map<String, Object>> taken = UnitCells.taken(history);
        List<double[]> pending = new ArrayList<>();
        List<Candidate> out = new ArrayList<>();
        GaussianProcess.Hyper shared = null; // one objective: the same fit serves the whole batch
        for (int k = 0; k < count; k++) {
            int index = history.size() + k;
            double[] point = null;
            if (index < initial) point = fresh(UnitCells.snap(space, design(index)), index, taken);
            if (point == null) {
                Model model = model(history, index, shared);
                if (model == null) {
                    point = fresh(null, index, taken);
                } else {
                    if (model.objectives == 1) shared = model.gp.hyper();
                    point = maximise(model.withPending(pending), history, index, taken);
                }
            }
            if (point == null) break; // every cell of a discrete space is taken
            Map<String, Object> params = space.decode(point);
            taken.add(params);
            pending.add(point);
            out.add(new Candidate(index, params, point));
        }
        return out;
    }

    /** Point {@code i} of the Latin-hypercube design of {@code initial} points. */
    double[] design(int i) {
        int d = space.size();
        Draws draws = new Draws(seed, "agent.search", "bayes", "design");
        double[] p = new double[d];
        for (int j = 0; j < d; j++) {
            int[] perm = new int[initial];
            for (int s = 0; s < initial; s++) perm[s] = s;
            for (int s = initial - 1; s > 0; s--) { // Fisher–Yates, keyed by (dimension, step)
                int r = (int) (draws.uniform((long) j * initial + s) * (s + 1));
                int t = perm[s];
                perm[s] = perm[r];
                perm[r] = t;
            }
            double jitter = draws.uniform((long) d * initial + (long) i * d + j);
            p[j] = (perm[i] + jitter) / initial;
        }
        return p;
    }

    /** {@code preferred} if its params are new, else the first of 1000 uniform draws keyed by the index that is. */
    private double[] fresh(double[] preferred, int index, Set<Map<String, Object>> taken) {
        if (preferred != null && !taken.contains(space.decode(preferred))) return preferred;
        Draws draws = new Draws(seed, "agent.search", "bayes", "fresh");
        int d = space.size();
        for (int attempt = 0; attempt < 1000; attempt++) {
            double[] p = new double[d];
            for (int j = 0; j < d; j++) p[j] = draws.uniform(((long) index * 1000 + attempt) * d + j);
            p = UnitCells.snap(space, p);
            if (!taken.contains(space.decode(p))) return p;
        }
        return null;
    }

    /** The GP on the successful observations, scalarised for candidate {@code index}; null with fewer than two. */
    Model model(List<Observation> history, int index, GaussianProcess.Hyper shared) {
        List<double[]> xs = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (Observation o : history) {
            if (o.failed() || !allFinite(o.scores())) continue;
            xs.add(UnitCells.snap(space, o.candidate().point()));
            scores.add(o.scores());
        }
        if (xs.size() < 2) return null;
        int m = scores.get(0).length;
        for (double[] s : scores) {
            if (s.length != m) throw new IllegalArgumentException("bayes: candidates have " + m + " and " + s.length + " scores; every candidate needs one score per objective");
        }
        double[] y = m == 1 ? scores.stream().mapToDouble(s -> s[0]).toArray() : parego(scores, weights(index, m));
        double mean = 0, var = 0;
        for (double v : y) mean += v / y.length;
        for (double v : y) var += (v - mean) * (v - mean) / y.length;
        double sd = var > 0 ? Math.sqrt(var) : 1;
        for (int i = 0; i < y.length; i++) y[i] = (y[i] - mean) / sd;
        double[][] x = xs.toArray(double[][]::new);
        GaussianProcess.Hyper hyper = m == 1 && shared != null ? shared : GaussianProcess.fit(x, y);
        return new Model(new GaussianProcess(x, y, hyper), x, y, m);
    }

    /**
     * The model of the observations and, for a batch, the kriging believer: pending points observed
     * exactly at their posterior mean, which leaves the mean where it was, takes the uncertainty away
     * there and may raise the incumbent, so the expected improvement near them falls to nothing.
     */
    record Model(GaussianProcess gp, double[][] x, double[] y, int objectives) {
        Model withPending(List<double[]> pending) {
            if (pending.isEmpty()) return this;
            int n = x.length;
            double[][] x2 = java.util.Arrays.copyOf(x, n + pending.size());
            double[] y2 = java.util.Arrays.copyOf(y, n + pending.size());
            for (int i = 0; i < pending.size(); i++) {
                x2[n + i] = pending.get(i);
                y2[n + i] = gp.mean(pending.get(i));
            }
            return new Model(new GaussianProcess(x2, y2, gp.hyper(), n), x2, y2, objectives);
        }

        /** The best posterior mean at the observed and the pending points. */
        double incumbent() {
            double best = Double.NEGATIVE_INFINITY;
            for (double[] p : x) best = Math.max(best, gp.mean(p));
            return best;
        }

        double ei(double[] p, double best) {
            double[] mv = gp.predict(p);
            return GaussianProcess.expectedImprovement(mv[0], Math.sqrt(mv[1]), best);
        }
    }

    /** The point of largest expected improvement whose params are new, or null if none is. */
    private double[] maximise(Model model, List<Observation> history, int index, Set<Map<String, Object>> taken) {
        int d = space.size();
        int observed = (int) history.stream().filter(o -> !o.failed() && allFinite(o.scores())).count();
        double best = model.incumbent();
        List<double[]> points = new ArrayList<>();
        Draws uniform = new Draws(seed, "agent.search", "bayes", "candidates");
        int dense = 1000 + 200 * d;
        for (int c = 0; c < dense; c++) {
            double[] p = new double[d];
            for (int j = 0; j < d; j++) p[j] = uniform.uniform(((long) index * dense + c) * d + j);
            points.add(UnitCells.snap(space, p));
        }
        // around the best observed points, where the improvement usually is
        Draws local = new Draws(seed, "agent.search", "bayes", "local");
        Integer[] order = new Integer[observed];
        for (int i = 0; i < observed; i++) order[i] = i;
        double[] means = new double[observed];
        for (int i = 0; i < observed; i++) means[i] = model.gp.mean(model.x[i]);
        java.util.Arrays.sort(order, (a, b) -> Double.compare(means[b], means[a]));
        int perBest = 40;
        for (int r = 0; r < Math.min(5, observed); r++) {
            for (int c = 0; c < perBest; c++) {
                double scale = c % 2 == 0 ? 0.02 : 0.1;
                double[] p = model.x[order[r]].clone();
                long key = (((long) index * 5 + r) * perBest + c) * d;
                for (int j = 0; j < d; j++) p[j] = clamp01(p[j] + scale * local.gaussian(key + j));
                points.add(UnitCells.snap(space, p));
            }
        }
        double[] eis = new double[points.size()];
        for (int i = 0; i < eis.length; i++) eis[i] = model.ei(points.get(i), best);
        Integer[] byEi = new Integer[eis.length];
        for (int i = 0; i < eis.length; i++) byEi[i] = i;
        java.util.Arrays.sort(byEi, (a, b) -> Double.compare(eis[b], eis[a]));
        List<double[]> ranked = new ArrayList<>();
        List<Double> rankedEi = new ArrayList<>();
        for (int r = 0; r < Math.min(3, byEi.length); r++) { // refine the best three
            double[] start = points.get(byEi[r]);
            double[] refined = UnitCells.snap(space, clamp01(NelderMead.minimize(
                    p -> -model.ei(UnitCells.snap(space, clamp01(p)), best), start, 0.02, 30 * (d + 1))));
            ranked.add(refined);
            rankedEi.add(model.ei(refined, best));
        }
        for (Integer i : byEi) {
            ranked.add(points.get(i));
            rankedEi.add(eis[i]);
        }
        double[] chosen = null;
        double chosenEi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < ranked.size(); i++) {
            if (rankedEi.get(i) > chosenEi && !taken.contains(space.decode(ranked.get(i)))) {
                chosen = ranked.get(i);
                chosenEi = rankedEi.get(i);
            }
        }
        return chosen;
    }

    /** Simplex weights for candidate {@code index}: normalised exponential draws, uniform on the simplex. */
    double[] weights(int index, int m) {
        Draws draws = new Draws(seed, "agent.search", "bayes", "weights");
        double[] w = new double[m];
        double sum = 0;
        for (int k = 0; k < m; k++) {
            w[k] = -StrictMath.log(1 - draws.uniform((long) index * m + k));
            sum += w[k];
        }
        for (int k = 0; k < m; k++) w[k] /= sum;
        return w;
    }

    /**
     * ParEGO's augmented Chebyshev scalarisation, negated so larger is better: with each objective
     * normalised to [0, 1] over the observations and cost c_k = 1 − normalised score,
     * −(max_k w_k·c_k + 0.05·Σ_k w_k·c_k).
     */
    static double[] parego(List<double[]> scores, double[] w) {
        int m = w.length;
        double[] lo = new double[m], hi = new double[m];
        java.util.Arrays.fill(lo, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        for (double[] s : scores) {
            for (int k = 0; k < m; k++) {
                lo[k] = Math.min(lo[k], s[k]);
                hi[k] = Math.max(hi[k], s[k]);
            }
        }
        double[] y = new double[scores.size()];
        for (int i = 0; i < y.length; i++) {
            double max = 0, sum = 0;
            for (int k = 0; k < m; k++) {
                double norm = hi[k] > lo[k] ? (scores.get(i)[k] - lo[k]) / (hi[k] - lo[k]) : 1;
                double c = w[k] * (1 - norm);
                max = Math.max(max, c);
                sum += c;
            }
            y[i] = -(max + 0.05 * sum);
        }
        return y;
    }

    private static boolean allFinite(double[] s) {
        for (double v : s) if (!Double.isFinite(v)) return false;
        return true;
    }

    private static double clamp01(double v) { return Math.max(0, Math.min(1, v)); }

    private static double[] clamp01(double[] p) {
        double[] out = new double[p.length];
        for (int j = 0; j < p.length; j++) out[j] = clamp01(p[j]);
        return out;
    }
}
