package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.TestSeeds;

/**
 * Each method against a float64 reference written here from its formula, on fresh seeded random
 * tensors: every element within 1e-6 relative, and which entries survive a sparsification bit for bit.
 */
class MergeMethodsTest {
    static final TensorOps OPS = new JavaOps(2);
    static final String NAME = "model.layers.3.mlp.weight";

    // ------------------------------------------------------------------ fixtures

    record Case(long seed, Tensor base, List<Tensor> models) {
        double[] base64() { return d(base); }
        double[] tau(int i) {
            double[] b = d(base), m = d(models.get(i));
            for (int j = 0; j < b.length; j++) m[j] -= b[j];
            return m;
        }
    }

    static Case randomCase(long seed, int models, int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor base = random(rnd, rows, cols);
        List<Tensor> ms = new ArrayList<>();
        for (int i = 0; i < models; i++) {
            Tensor m = random(rnd, rows, cols);
            float[] x = m.data();
            for (int j = 0; j < x.length; j++) x[j] = base.data()[j] + 0.1f * x[j];
            ms.add(m);
        }
        return new Case(seed, base, ms);
    }

    static Tensor random(SplittableRandom rnd, int rows, int cols) {
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return Tensor.of(x, rows, cols);
    }

    static double[] d(Tensor t) {
        double[] out = new double[t.size()];
        for (int i = 0; i < out.length; i++) out[i] = t.data()[i];
        return out;
    }

    static TensorSlot slot(MergeMethod m, Case c, Map<String, Object> global, List<Map<String, Object>> perModel) {
        MergeParams p = MergeParams.of(m, global, perModel, c.models().size(), new Layers(8));
        return new TensorSlot(NAME, m.needsBase() ? c.base() : null, c.models(), p.forTensor(NAME));
    }

    static void assertClose(double[] want, Tensor got, long seed, String what) {
        assertEquals(want.length, got.size());
        for (int i = 0; i < want.length; i++) {
            double g = got.data()[i];
            if (!(Math.abs(g - want[i]) <= 1e-6 * (1 + Math.abs(want[i])))) {
                fail("seed " + seed + ": " + what + " element " + i + " is " + g + ", float64 reference " + want[i]);
            }
        }
    }

    // ------------------------------------------------------------------ float64 references

    static double[] magnitudeRef(double[] tau, double density) {
        if (density >= 1) return tau.clone();
        int k = (int) Math.floor(density * tau.length);
        double[] sorted = Arrays.stream(tau).map(Math::abs).sorted().toArray();
        double thr = k == 0 ? Double.POSITIVE_INFINITY : sorted[sorted.length - k];
        return Arrays.stream(tau).map(x -> Math.abs(x) >= thr ? x : 0).toArray();
    }

    /** DARE's keep rule as TensorOps documents it: keep ⇔ (bits >>> 8) ≥ round((1 − density)·2^24). */
    static double[] randomRef(double[] tau, double density, long seed, int model, boolean rescale) {
        if (density >= 1) return tau.clone();
        long stream = Philox.stream("merge", "dare", NAME, Integer.toString(model));
        float p = 1f - (float) density;
        int cut = Math.round(p * (1 << 24));
        double[] out = new double[tau.length];
        for (int i = 0; i < tau.length; i++) {
            boolean keep = (Philox.bits(seed, stream, i) >>> 8) >= cut;
            out[i] = keep ? (rescale ? tau[i] / density : tau[i]) : 0;
        }
        return out;
    }

    static double[] outliersRef(double[] tau, double density, double gamma) {
        int n = tau.length, keep = (int) Math.floor(density * n), top = (int) Math.floor(gamma * n);
        if (n - keep - top < 0) top = n - keep;
        Integer[] byMagnitude = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(byMagnitude, Comparator.comparingDouble(i -> -Math.abs(tau[i])));
        double[] out = new double[n];
        for (int r = top; r < top + keep; r++) out[byMagnitude[r]] = tau[byMagnitude[r]];
        return out;
    }

    /** DELLA: rank by |τ| within each row, p = d − ε + 2ε·(rank − 1)/(n − 1) (in float, as the draw compares), keep ⇔ u < p. */
    static double[] dellaRef(double[] tau, int cols, double density, double eps, long seed, int model, boolean rescale) {
        long stream = Philox.stream("merge", "della", NAME, Integer.toString(model));
        double[] out = new double[tau.length];
        for (int r = 0; r < tau.length / cols; r++) {
            int base = r * cols;
            Integer[] order = IntStream.range(0, cols).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(c -> Math.abs(tau[base + c])));
            for (int rank = 0; rank < cols; rank++) {
                int i = base + order[rank];
                float p = (float) (density - eps) + rank / (float) (cols - 1) * (float) (2 * eps);
                float u = Philox.toUniform(Philox.bits(seed, stream, i), 0f, 1f);
                out[i] = u < p ? (rescale ? tau[i] / p : tau[i]) : 0;
            }
        }
        return out;
    }

    /** Generalized task arithmetic in float64: weight, optional sign vote (≥ 0 is +), weighted divisor, λ. */
    static double[] combineRef(double[] base, List<double[]> kept, double[] w, String vote, boolean normalize, double lambda) {
        return combineRef(base, kept, w, vote, true, true, normalize, lambda);
    }

    /** PEFT's variant: voteWeighted false votes on the unweighted τ̃, meanWeighted false divides by the agreeing count. */
    static double[] combineRef(double[] base, List<double[]> kept, double[] w, String vote, boolean voteWeighted, boolean meanWeighted,
                               boolean normalize, double lambda) {
        int n = base.length, k = kept.size();
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            double[] x = new double[k];
            for (int i = 0; i < k; i++) x[i] = w[i] * kept.get(i)[j];
            double upd = 0, div = 0;
            if (vote == null) {
                for (int i = 0; i < k; i++) { upd += x[i]; div += w[i]; }
            } else {
                double total = 0;
                for (int i = 0; i < k; i++) {
                    double v = voteWeighted ? x[i] : kept.get(i)[j];
                    total += vote.equals("sum") ? v : Math.signum(v);
                }
                double s = total >= 0 ? 1 : -1;
                for (int i = 0; i < k; i++) if (Math.signum(x[i]) == s) { upd += x[i]; div += meanWeighted ? w[i] : 1; }
            }
            if (normalize) upd /= Math.abs(div) < 1e-8 ? 1 : div;
            out[j] = base[j] + lambda * upd;
        }
        return out;
    }

    static double[] weights(SplittableRandom rnd, int k) {
        return IntStream.range(0, k).mapToDouble(i -> 0.25 + rnd.nextDouble()).toArray();
    }

    static List<Map<String, Object>> perModel(double[] w, double[] density) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < w.length; i++) out.add(Map.of("weight", w[i], "density", density[i]));
        return out;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void averageIsTheWeightedMeanOrSum() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 3, 17, 29);
        double[] w = weights(new SplittableRandom(seed + 1), 3);
        for (boolean normalize : new boolean[] {true, false}) {
            Tensor got = new AverageMerge().merge(OPS, slot(new AverageMerge(), c, Map.of("normalize", normalize),
                    List.of(Map.of("weight", w[0]), Map.of("weight", w[1]), Map.of("weight", w[2]))), seed);
            double[] want = new double[got.size()];
            double sw = w[0] + w[1] + w[2];
            for (int j = 0; j < want.length; j++) {
                for (int i = 0; i < 3; i++) want[j] += w[i] * c.models().get(i).data()[j];
                if (normalize) want[j] /= sw;
            }
            assertClose(want, got, seed, "average normalize=" + normalize);
        }
    }

    @Test
    void taskArithmeticAddsTheWeightedTaskVectorsScaledByLambda() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 3, 23, 31);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        double[] w = weights(rnd, 3);
        double lambda = 0.3 + rnd.nextDouble();
        MergeMethod m = new TaskArithmeticMerge();
        for (boolean normalize : new boolean[] {false, true}) {
            Tensor got = m.merge(OPS, slot(m, c, Map.of("lambda", lambda, "normalize", normalize),
                    List.of(Map.of("weight", w[0]), Map.of("weight", w[1]), Map.of("weight", w[2]))), seed);
            double[] want = combineRef(c.base64(), List.of(c.tau(0), c.tau(1), c.tau(2)), w, null, normalize, lambda);
            assertClose(want, got, seed, "task arithmetic normalize=" + normalize);
        }
    }

    @Test
    void tiesTrimsPerTensorVotesAndTakesTheWeightedDisjointMean() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 3, 41, 37);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        double[] w = weights(rnd, 3);
        double[] density = {0.1 + 0.8 * rnd.nextDouble(), 0.1 + 0.8 * rnd.nextDouble(), 0.1 + 0.8 * rnd.nextDouble()};
        double lambda = 0.5 + rnd.nextDouble();
        MergeMethod m = new TiesMerge();
        for (String vote : List.of("sum", "count")) {
            for (boolean normalize : new boolean[] {true, false}) {
                Tensor got = m.merge(OPS, slot(m, c, Map.of("lambda", lambda, "normalize", normalize, "consensus", vote), perModel(w, density)), seed);
                List<double[]> kept = List.of(magnitudeRef(c.tau(0), density[0]), magnitudeRef(c.tau(1), density[1]), magnitudeRef(c.tau(2), density[2]));
                assertClose(combineRef(c.base64(), kept, w, vote, normalize, lambda), got, seed, "ties " + vote + " normalize=" + normalize);
                Tensor peft = m.merge(OPS, slot(m, c, Map.of("lambda", lambda, "normalize", normalize, "consensus", vote,
                        "vote_weighted", false, "mean_weighted", false), perModel(w, density)), seed);
                assertClose(combineRef(c.base64(), kept, w, vote, false, false, normalize, lambda), peft, seed, "ties (PEFT's) " + vote + " normalize=" + normalize);
            }
        }
    }

    /** Hand-computed: base 10, τ₁ = [1, −2, 3, .5], τ₂ = [2, 1, −1, −.5], τ₃ = [−4, 1, −1, .25], density 1. */
    @Test
    void tiesVariantsOnAHandComputedThreeModelCase() {
        Tensor base = Tensor.of(new float[] {10, 10, 10, 10}, 4);
        List<Tensor> models = List.of(Tensor.of(new float[] {11, 8, 13, 10.5f}, 4), Tensor.of(new float[] {12, 11, 9, 9.5f}, 4),
                Tensor.of(new float[] {6, 11, 9, 10.25f}, 4));
        Case c = new Case(0, base, models);
        MergeMethod m = new TiesMerge();
        // sum vote: totals [−1, 0, 1, .25] → signs [−, + (0 counts as +), +, +]
        check(m, c, Map.of("consensus", "sum"), List.of(), new float[] {10 - 4, 10 + 1, 10 + 3, 10 + 0.375f});
        check(m, c, Map.of("consensus", "sum", "normalize", false), List.of(), new float[] {10 - 4, 10 + 2, 10 + 3, 10 + 0.75f});
        // count vote: signs [+, +, −, +]
        check(m, c, Map.of("consensus", "count"), List.of(), new float[] {10 + 1.5f, 10 + 1, 10 - 1, 10 + 0.375f});
        check(m, c, Map.of("consensus", "count", "normalize", false), List.of(), new float[] {10 + 3, 10 + 2, 10 - 2, 10 + 0.75f});
        // weights [1, 2, .5]: x = [1, −2, 3, .5], [4, 2, −2, −1], [−2, .5, −.5, .125]; totals [3, .5, .5, −.375]
        // agreeing sums [5, 2.5, 3, −1] over weights [3, 2.5, 1, 2]; λ = 2
        List<Map<String, Object>> w = List.of(Map.of("weight", 1), Map.of("weight", 2), Map.of("weight", 0.5));
        check(m, c, Map.of("lambda", 2), w, new float[] {10 + 2 * 5 / 3f, 10 + 2, 10 + 6, 10 - 1});
        check(m, c, Map.of("lambda", 2, "normalize", false), w, new float[] {10 + 10, 10 + 5, 10 + 6, 10 - 2});
        // PEFT's: the vote on unweighted τ (signs [−, +, +, +]), the weighted agreeing sum over the count of agreeing models
        check(m, c, Map.of("lambda", 2, "vote_weighted", false, "mean_weighted", false), w, new float[] {10 - 4, 10 + 2.5f, 10 + 6, 10 + 0.625f});
        check(m, c, Map.of("lambda", 2, "mean_weighted", false), w, new float[] {10 + 5, 10 + 2.5f, 10 + 6, 10 - 2});
    }

    private static void check(MergeMethod m, Case c, Map<String, Object> global, List<Map<String, Object>> perModel, float[] want) {
        Tensor got = m.merge(OPS, slot(m, c, global, perModel), 1);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got.data()[i], 1e-5, global + " " + perModel + ": element " + i + " of " + Arrays.toString(got.data()));
        }
    }

    @Test
    void dareDropsWithKeyedBernoulliMasksAndRescales() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 3, 64, 50);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        double[] w = weights(rnd, 3);
        double[] density = {0.2 + 0.6 * rnd.nextDouble(), 0.2 + 0.6 * rnd.nextDouble(), 0.2 + 0.6 * rnd.nextDouble()};
        double lambda = 0.5 + rnd.nextDouble();
        for (boolean rescale : new boolean[] {true, false}) {
            List<double[]> kept = new ArrayList<>();
            for (int i = 0; i < 3; i++) kept.add(randomRef(c.tau(i), density[i], seed, i, rescale));
            Map<String, Object> g = Map.of("lambda", lambda, "rescale", rescale);
            MergeMethod linear = new DareLinearMerge(), ties = new DareTiesMerge();
            assertClose(combineRef(c.base64(), kept, w, null, false, lambda), linear.merge(OPS, slot(linear, c, g, perModel(w, density)), seed),
                    seed, "dare-linear rescale=" + rescale);
            assertClose(combineRef(c.base64(), kept, w, "sum", false, lambda), ties.merge(OPS, slot(ties, c, g, perModel(w, density)), seed),
                    seed, "dare-ties rescale=" + rescale);
        }
    }

    /** rescale_norm: l1 (mergekit's rescale): the kept entries of each τ scaled to τ's L1 norm. */
    @Test
    void dareAndDellaRescaleToTheL1NormOnRequest() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 2, 40, 30);
        double density = 0.3 + 0.4 * new SplittableRandom(seed).nextDouble();
        for (MergeMethod m : List.of(new DareLinearMerge(), new DellaLinearMerge())) {
            List<double[]> kept = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                double[] tau = c.tau(i);
                double[] masked = m instanceof DareLinearMerge ? randomRef(tau, density, seed, i, false) : dellaRef(tau, 30, density, 0.1, seed, i, false);
                double before = Arrays.stream(tau).map(Math::abs).sum(), after = Arrays.stream(masked).map(Math::abs).sum();
                kept.add(Arrays.stream(masked).map(x -> x * before / after).toArray());
            }
            Map<String, Object> g = m instanceof DareLinearMerge ? Map.of("density", density, "rescale_norm", "l1")
                    : Map.of("density", density, "rescale_norm", "l1", "epsilon", 0.1);
            assertClose(combineRef(c.base64(), kept, new double[] {1, 1}, null, false, 1), m.merge(OPS, slot(m, c, g, List.of()), seed),
                    seed, m.name() + " l1 rescale");
        }
    }

    @Test
    void sparsificationMasksAreTheReferencesBitForBit() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 1, 33, 47);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        double density = 0.2 + 0.6 * rnd.nextDouble(), gamma = 0.02 + 0.1 * rnd.nextDouble();
        Map<String, Object> params = Map.of("density", density, "gamma", gamma);
        TensorSlot s = slot(new BreadcrumbsMerge(), c, Map.of(), List.of(params));
        MergeParams p = MergeParams.of(new DellaMerge(), Map.of(), List.of(Map.of("density", density, "epsilon", 0.1)), 1, new Layers(8));
        TensorSlot sd = new TensorSlot(NAME, c.base(), c.models(), p.forTensor(NAME));
        Tensor tau = Elementwise.delta(OPS, c.models().get(0), c.base());
        double[] t = c.tau(0);
        assertSameMask(magnitudeRef(t, density), Sparsification.MAGNITUDE.apply(OPS, tau, s, 0, seed, false), seed, "magnitude");
        assertSameMask(randomRef(t, density, seed, 0, false), Sparsification.RANDOM.apply(OPS, tau, s, 0, seed, false), seed, "random");
        assertSameMask(outliersRef(t, density, gamma), Sparsification.MAGNITUDE_OUTLIERS.apply(OPS, tau, s, 0, seed, false), seed, "outliers");
        assertSameMask(dellaRef(t, 47, density, 0.1, seed, 0, false), Sparsification.DELLA.apply(OPS, tau, sd, 0, seed, false), seed, "della");
    }

    private static void assertSameMask(double[] want, Tensor got, long seed, String what) {
        long kept = 0;
        for (int i = 0; i < want.length; i++) {
            if ((want[i] != 0) != (got.data()[i] != 0)) fail("seed " + seed + ": " + what + " mask differs at element " + i);
            if (want[i] != 0) {
                kept++;
                assertEquals((float) want[i], got.data()[i], "seed " + seed + ": " + what + " kept value " + i);
            }
        }
        assertTrue(kept > 0 && kept < want.length, "seed " + seed + ": " + what + " kept " + kept + " of " + want.length);
    }

    @Test
    void breadcrumbsDropOutliersAndSmallest() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 3, 30, 40);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        double[] w = weights(rnd, 3);
        double density = 0.3 + 0.5 * rnd.nextDouble(), gamma = 0.01 + 0.1 * rnd.nextDouble();
        List<double[]> kept = new ArrayList<>();
        for (int i = 0; i < 3; i++) kept.add(outliersRef(c.tau(i), density, gamma));
        Map<String, Object> g = Map.of("density", density, "gamma", gamma, "lambda", 0.7);
        List<Map<String, Object>> pm = List.of(Map.of("weight", w[0]), Map.of("weight", w[1]), Map.of("weight", w[2]));
        MergeMethod b = new BreadcrumbsMerge(), bt = new BreadcrumbsTiesMerge();
        assertClose(combineRef(c.base64(), kept, w, null, false, 0.7), b.merge(OPS, slot(b, c, g, pm), seed), seed, "breadcrumbs");
        assertClose(combineRef(c.base64(), kept, w, "sum", false, 0.7), bt.merge(OPS, slot(bt, c, g, pm), seed), seed, "breadcrumbs-ties");
    }

    @Test
    void dellaKeepsByMagnitudeRankProbabilities() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 3, 20, 60);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        double[] w = weights(rnd, 3);
        double density = 0.3 + 0.4 * rnd.nextDouble(), eps = 0.05 + 0.1 * rnd.nextDouble();
        List<double[]> kept = new ArrayList<>();
        for (int i = 0; i < 3; i++) kept.add(dellaRef(c.tau(i), 60, density, eps, seed, i, true));
        Map<String, Object> g = Map.of("density", density, "epsilon", eps);
        List<Map<String, Object>> pm = List.of(Map.of("weight", w[0]), Map.of("weight", w[1]), Map.of("weight", w[2]));
        MergeMethod d = new DellaMerge(), dl = new DellaLinearMerge();
        assertClose(combineRef(c.base64(), kept, w, "sum", true, 1), d.merge(OPS, slot(d, c, g, pm), seed), seed, "della");
        assertClose(combineRef(c.base64(), kept, w, null, false, 1), dl.merge(OPS, slot(dl, c, g, pm), seed), seed, "della-linear");
    }

    @Test
    void modelStockInterpolatesByTheMeanCosine() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 3, 19, 21);
        double[][] tau = {c.tau(0), c.tau(1), c.tau(2)};
        double cos = 0;
        for (int i = 0; i < 3; i++) for (int j = i + 1; j < 3; j++) cos += dot(tau[i], tau[j]) / Math.sqrt(dot(tau[i], tau[i]) * dot(tau[j], tau[j]));
        cos /= 3;
        double t = 3 * cos / (1 + 2 * cos);
        double[] base = c.base64(), want = new double[base.length];
        for (int j = 0; j < want.length; j++) {
            double avg = 0;
            for (Tensor m : c.models()) avg += m.data()[j] / 3.0;
            want[j] = t * avg + (1 - t) * base[j];
        }
        MergeMethod m = new ModelStockMerge();
        assertClose(want, m.merge(OPS, slot(m, c, Map.of(), List.of()), seed), seed, "model-stock");

        // filter_wise: each row its own mean cosine and ratio
        int cols = 21;
        for (int r = 0; r < 19; r++) {
            double[][] row = new double[3][cols];
            for (int i = 0; i < 3; i++) System.arraycopy(tau[i], r * cols, row[i], 0, cols);
            double cr = 0;
            for (int i = 0; i < 3; i++) for (int j = i + 1; j < 3; j++) cr += dot(row[i], row[j]) / Math.sqrt(dot(row[i], row[i]) * dot(row[j], row[j]));
            cr /= 3;
            double tr = 3 * cr / (1 + 2 * cr);
            for (int col = 0; col < cols; col++) {
                int j = r * cols + col;
                double avg = 0;
                for (Tensor mm : c.models()) avg += mm.data()[j] / 3.0;
                want[j] = tr * avg + (1 - tr) * base[j];
            }
        }
        assertClose(want, m.merge(OPS, slot(m, c, Map.of("filter_wise", true), List.of()), seed), seed, "model-stock filter_wise");
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void slerpFollowsTheGreatCircle() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor a = random(rnd, 13, 17), b = random(rnd, 13, 17);
        double t = rnd.nextDouble();
        double[] x = d(a), y = d(b);
        double omega = Math.acos(dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y)));
        double[] want = new double[x.length];
        for (int i = 0; i < x.length; i++) want[i] = (Math.sin((1 - t) * omega) * x[i] + Math.sin(t * omega) * y[i]) / Math.sin(omega);
        MergeMethod m = new SlerpMerge();
        assertClose(want, m.merge(OPS, slot(m, new Case(seed, a, List.of(b)), Map.of("t", t), List.of()), seed), seed, "slerp t=" + t);
    }

    @Test
    void linesScalesTheUpdateLinearlyWithDepth() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 2, 11, 13);
        double alpha = 0.2, beta = 0.6;
        MergeMethod m = new LinesMerge();
        Layers layers = new Layers(5);
        for (String name : List.of("model.layers.0.w", "model.layers.3.w", "model.layers.4.w", "model.embed_tokens.weight", "lm_head.weight")) {
            double depth = switch (name) {
                case "model.layers.0.w", "model.embed_tokens.weight" -> 0;
                case "model.layers.3.w" -> 0.75;
                default -> 1;
            };
            TensorSlot s = new TensorSlot(name, c.base(), c.models(),
                    MergeParams.of(m, Map.of("alpha", alpha, "beta", beta), List.of(), 2, layers).forTensor(name));
            double[] want = combineRef(c.base64(), List.of(c.tau(0), c.tau(1)), new double[] {1, 1}, null, false, alpha + beta * depth);
            assertClose(want, m.merge(OPS, s, seed), seed, "lines " + name);
        }
    }

    @Test
    void consensusKeepsWeightsThatMatterToAtLeastKTasks() {
        long seed = TestSeeds.next();
        Case c = randomCase(seed, 4, 25, 27);
        double[][] tau = {c.tau(0), c.tau(1), c.tau(2), c.tau(3)};
        MergeMethod m = new ConsensusMerge();
        for (int k : new int[] {1, 2, 3}) {
            double lambda = 0.8, maskLambda = 0.5;
            double[] base = c.base64(), want = new double[base.length];
            long kept = 0;
            for (int j = 0; j < want.length; j++) {
                double total = 0;
                for (double[] t : tau) total += t[j];
                int votes = 0;
                for (double[] t : tau) if (Math.abs(t[j]) >= maskLambda * Math.abs(total - t[j])) votes++;
                if (votes >= k) kept++;
                want[j] = base[j] + (votes >= k ? lambda * total : 0);
            }
            assertTrue(kept > 0 && kept < want.length, "seed " + seed + ": k=" + k + " kept " + kept);
            assertClose(want, m.merge(OPS, slot(m, c, Map.of("k", k, "lambda", lambda, "mask_lambda", maskLambda), List.of()), seed),
                    seed, "consensus k=" + k);
        }
    }
}
