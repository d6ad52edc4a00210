package org.mtflow.nodes.merge.aware;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;

/** Each data-aware merge against a float64 reference written here from its formula, on fresh seeded random MLPs and data. */
class DataAwareMergeTest {
    private static final JavaOps OPS = new JavaOps(1);
    private static final int IN = 5;
    private static final List<Integer> HIDDEN = List.of(6, 4);
    private static final int CLASSES = 3;

    @AfterAll static void close() { OPS.close(); }

    private static MlpSpec spec(String head) {
        return new MlpSpec(IN, HIDDEN, Activation.RELU, Map.of(head, CLASSES));
    }

    /** Model t: the base plus a normal perturbation of std 0.3, with its own random head h&lt;t&gt;. */
    private static Mlp finetuned(Mlp base, int t, long seed, SplittableRandom rnd) {
        Mlp m = Mlp.init(spec("h" + t), OPS, seed, t + 1);
        Map<String, Tensor> p = new LinkedHashMap<>(m.parameters());
        base.parameters().forEach((k, b) -> {
            if (!k.startsWith("trunk.")) return;
            float[] d = b.data().clone();
            for (int i = 0; i < d.length; i++) d[i] += (float) (0.3 * rnd.nextGaussian());
            p.put(k, Tensor.of(d, b.shape()));
        });
        return Mlp.of(m.spec(), p);
    }

    private static Tensor normal(SplittableRandom rnd, int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
        return Tensor.of(d, rows, cols);
    }

    private static Dataset dataset(SplittableRandom rnd, String name, int n) {
        float[] y = new float[n], yt = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(CLASSES);
            yt[i] = rnd.nextInt(CLASSES);
        }
        return new Dataset(name, List.of("a", "b", "c"), new Dataset.Split(normal(rnd, n, IN), Tensor.of(y, n)),
                new Dataset.Split(normal(rnd, n, IN), Tensor.of(yt, n)));
    }

    private record Setup(Mlp base, MergeTasks tasks) {}

    private static Setup setup(long seed, int models, int n) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        Mlp base = Mlp.init(spec("base"), OPS, seed, 0);
        List<Mlp> ms = new ArrayList<>();
        List<Dataset> ds = new ArrayList<>();
        for (int t = 0; t < models; t++) {
            ms.add(finetuned(base, t, seed, rnd));
            ds.add(dataset(rnd, "h" + t, n));
        }
        return new Setup(base, MergeTasks.of(base, ms, ds));
    }

    private static void assertClose(double[] want, Tensor got, double rel, String what) {
        assertEquals(want.length, got.size(), what);
        double scale = 0;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            double tol = rel * (Math.abs(want[i]) + 1e-2 * scale) + 1e-30;
            int at = i;
            assertTrue(Math.abs(want[i] - got.data()[i]) <= tol, () -> what + " element " + at + ": want " + want[at] + ", got " + got.data()[at]);
        }
    }

    @Test
    void fisherIsTheMeanSquaredPerExampleGradientAndWeightsTheAverage() throws Exception {
        long seed = TestSeeds.next();
        Setup s = setup(seed, 2, 9);
        List<Map<String, Tensor>> fishers = new ArrayList<>();
        for (boolean predicted : new boolean[] {true, false}) {
            for (MergeTasks.Task task : s.tasks().tasks()) {
                Tensor x = task.train().x();
                int[] labels = new int[x.dim(0)];
                for (int i = 0; i < labels.length; i++) labels[i] = (int) task.train().y().data()[i];
                Map<String, Tensor> f = FisherMergeNode.fisher(OPS, task.model(), task.head(), x, predicted ? null : labels);
                if (predicted) fishers.add(f);

                Mlp64 ref = new Mlp64(task.model());
                Map<String, double[]> want = new LinkedHashMap<>();
                for (int i = 0; i < x.dim(0); i++) {
                    List<double[]> acts = ref.activations(Mlp64.row(x, i));
                    double[] logp = Mlp64.logSoftmax(ref.logits(acts, task.head()));
                    int y = labels[i];
                    if (predicted) { // the model's own argmax, ties to the lower class
                        y = 0;
                        for (int j = 1; j < CLASSES; j++) if (logp[j] > logp[y]) y = j;
                    }
                    double[] g = new double[CLASSES]; // d(−log p_y)/dz = p − onehot(y)
                    for (int j = 0; j < CLASSES; j++) g[j] = Math.exp(logp[j]) - (j == y ? 1 : 0);
                    int n = x.dim(0);
                    ref.trunkGradients(acts, task.head(), g).forEach((k, gk) -> {
                        double[] acc = want.computeIfAbsent(k, key -> new double[gk.length]);
                        for (int j = 0; j < gk.length; j++) acc[j] += gk[j] * gk[j] / n;
                    });
                }
                assertEquals(want.keySet(), new java.util.HashSet<>(f.keySet()), "the Fisher covers the trunk, seed " + seed);
                for (String k : want.keySet()) assertClose(want.get(k), f.get(k), 1e-4, "Fisher " + k + " (predicted " + predicted + "), seed " + seed);
            }
        }
        List<String> names = s.tasks().trunkNames();
        List<Map<String, Tensor>> params = s.tasks().tasks().stream().map(t -> t.model().parameters()).toList();
        float eps = 1e-3f;
        Map<String, Tensor> merged = FisherMergeNode.merge(OPS, names, params, fishers, eps);
        for (String k : names) {
            int size = params.get(0).get(k).size();
            double[] want = new double[size];
            for (int j = 0; j < size; j++) {
                double num = 0, den = 0;
                for (int i = 0; i < params.size(); i++) {
                    double w = (double) fishers.get(i).get(k).data()[j] + eps;
                    num += w * params.get(i).get(k).data()[j];
                    den += w;
                }
                want[j] = num / den;
            }
            assertClose(want, merged.get(k), 1e-5, "Fisher merge " + k + ", seed " + seed);
        }
    }

    /** Σ G̃ᵢ in float64 from the reference forward pass, G̃ = α·XᵀX off the diagonal, XᵀX on it. */
    private static double[][] shrunkGrams(Mlp64 ref, Tensor x, int layer, double alpha) {
        int in = ref.sizes.get(layer);
        double[][] g = new double[in][in];
        for (int i = 0; i < x.dim(0); i++) {
            double[] a = ref.activations(Mlp64.row(x, i)).get(layer);
            for (int r = 0; r < in; r++) for (int c = 0; c < in; c++) g[r][c] += a[r] * a[c] * (r == c ? 1 : alpha);
        }
        return g;
    }

    @Test
    void regmeanSolvesTheNormalEquationsOfEveryLayer() throws Exception {
        long seed = TestSeeds.next();
        Setup s = setup(seed, 3, 12);
        double alpha = new SplittableRandom(seed).nextDouble(0.5, 0.95);
        for (int l = 0; l < HIDDEN.size(); l++) {
            String name = "trunk." + l + ".weight";
            List<Tensor> grams = new ArrayList<>(), ws = new ArrayList<>();
            int in = s.base().spec().trunkSizes().get(l), out = HIDDEN.get(l);
            double[][] lhs = new double[in][in], rhs = new double[in][out];
            for (MergeTasks.Task task : s.tasks().tasks()) {
                List<Tensor> g = RegMeanMergeNode.grams(OPS, task.model(), task.head(), task.train().x());
                Mlp64 ref = new Mlp64(task.model());
                double[][] plain = shrunkGrams(ref, task.train().x(), l, 1.0);
                double[] flat = new double[in * in];
                for (int r = 0; r < in; r++) for (int c = 0; c < in; c++) flat[r * in + c] = plain[r][c];
                assertClose(flat, g.get(l), 1e-5, "Gram of layer " + l + ", seed " + seed);
                grams.add(g.get(l));
                Tensor w = task.model().parameters().get(name);
                ws.add(w);
                double[][] sg = shrunkGrams(ref, task.train().x(), l, alpha);
                for (int r = 0; r < in; r++) {
                    for (int c = 0; c < in; c++) {
                        lhs[r][c] += sg[r][c];
                        for (int o = 0; o < out; o++) rhs[r][o] += sg[r][c] * w.data()[c * out + o];
                    }
                }
            }
            Tensor merged = RegMeanMergeNode.solve(OPS, grams, ws, alpha).weight();
            for (int r = 0; r < in; r++) {
                for (int o = 0; o < out; o++) {
                    double got = 0, scale = Math.abs(rhs[r][o]);
                    for (int c = 0; c < in; c++) {
                        got += lhs[r][c] * merged.data()[c * out + o];
                        scale += Math.abs(lhs[r][c] * merged.data()[c * out + o]);
                    }
                    double want = rhs[r][o];
                    assertTrue(Math.abs(got - want) <= 1e-4 * scale + 1e-9,
                            "Σ G̃ W* = Σ G̃ Wᵢ at layer " + l + " [" + r + ", " + o + "]: " + got + " vs " + want + ", alpha " + alpha + ", seed " + seed);
                }
            }
        }
    }

    @Test
    void regmeanWithEqualGramMatricesIsTheAverageAndUnseenFeaturesAverageToo() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int in = 6, out = 4, models = 3;
        Tensor a = normal(rnd, 10, in);
        for (int i = 0; i < 10; i++) a.data()[i * in + 2] = 0; // feature 2 is never seen
        Tensor g = Tensor.zeros(in, in);
        OPS.matmul(a, true, a, false, g);
        List<Tensor> grams = new ArrayList<>(), ws = new ArrayList<>();
        for (int i = 0; i < models; i++) {
            grams.add(g);
            ws.add(normal(rnd, in, out));
        }
        RegMeanMergeNode.Solution s = RegMeanMergeNode.solve(OPS, grams, ws, 0.9);
        assertEquals(1, s.averagedRows(), "seed " + seed);
        double[] mean = new double[in * out];
        for (Tensor w : ws) for (int j = 0; j < mean.length; j++) mean[j] += w.data()[j] / (double) models;
        assertClose(mean, s.weight(), 1e-4, "equal Gram matrices give the average, seed " + seed);

        Tensor few = normal(rnd, 3, in); // rank 3 < 6: singular without the shrink
        Tensor gf = Tensor.zeros(in, in);
        OPS.matmul(few, true, few, false, gf);
        ArithmeticException e = assertThrows(ArithmeticException.class,
                () -> RegMeanMergeNode.solve(OPS, List.of(gf, gf), List.of(ws.get(0), ws.get(1)), 1.0));
        assertTrue(e.getMessage().contains("lower alpha") && e.getMessage().contains("more examples"), e.getMessage());
    }

    /** L(λ) in float64: θ₀ + Σ λ τ from the models' floats, the reference forward, the mean entropy per task, summed. */
    private static double entropy64(Setup s, List<Tensor> xs, double[] lambda, boolean layerWise) {
        List<String> names = s.tasks().trunkNames();
        Map<String, double[]> w = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            double[] th = Mlp64.toDouble(s.base().parameters().get(names.get(k)));
            for (int t = 0; t < s.tasks().tasks().size(); t++) {
                double lam = layerWise ? lambda[t * names.size() + k] : lambda[t];
                float[] m = s.tasks().tasks().get(t).model().parameters().get(names.get(k)).data();
                float[] b = s.base().parameters().get(names.get(k)).data();
                for (int j = 0; j < th.length; j++) th[j] += lam * ((double) m[j] - b[j]);
            }
            w.put(names.get(k), th);
        }
        double total = 0;
        for (int t = 0; t < xs.size(); t++) {
            MergeTasks.Task task = s.tasks().tasks().get(t);
            Map<String, double[]> all = new LinkedHashMap<>(w);
            all.put("head.h" + t + ".weight", Mlp64.toDouble(task.model().parameters().get("head." + task.head() + ".weight")));
            all.put("head.h" + t + ".bias", Mlp64.toDouble(task.model().parameters().get("head." + task.head() + ".bias")));
            Mlp64 ref = new Mlp64(all, s.base().spec().trunkSizes());
            double sum = 0;
            for (int i = 0; i < xs.get(t).dim(0); i++) {
                double[] logp = Mlp64.logSoftmax(ref.logits(ref.activations(Mlp64.row(xs.get(t), i)), "h" + t));
                for (double lp : logp) sum -= Math.exp(lp) * lp;
            }
            total += sum / xs.get(t).dim(0);
        }
        return total;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Test
    void adamergingGradientMatchesCentralDifferencesAndStepsLowerTheEntropy() throws Exception {
        long seed = TestSeeds.next();
        Setup s = setup(seed, 2, 16);
        List<Tensor> xs = s.tasks().tasks().stream().map(t -> t.test().x()).toList();
        SplittableRandom rnd = new SplittableRandom(seed ^ 7);
        for (boolean layerWise : new boolean[] {false, true}) {
            AdaMergingNode.Objective obj = new AdaMergingNode.Objective(OPS, s.tasks(), xs, layerWise);
            float[] lambda = new float[obj.size()];
            for (int i = 0; i < lambda.length; i++) lambda[i] = (float) rnd.nextDouble(0.1, 0.6);
            float[] grad = new float[obj.size()];
            double value = obj.entropy(lambda, grad);
            assertEquals(entropy64(s, xs, widen(lambda), layerWise), value, 1e-4 * Math.abs(value), "entropy, seed " + seed);
            // a small step in float64, so that few ReLU kinks fall between λ − h and λ + h
            double h = 1e-6, scale = 0;
            double[] fd = new double[lambda.length];
            for (int i = 0; i < lambda.length; i++) {
                double[] up = widen(lambda), down = widen(lambda);
                up[i] += h;
                down[i] -= h;
                fd[i] = (entropy64(s, xs, up, layerWise) - entropy64(s, xs, down, layerWise)) / (2 * h);
                scale = Math.max(scale, Math.abs(fd[i]));
            }
            for (int i = 0; i < lambda.length; i++) {
                assertEquals(fd[i], grad[i], 1e-3 * scale + 1e-3 * Math.abs(fd[i]),
                        "∂L/∂λ[" + i + "] (layer-wise " + layerWise + ") vs central differences, seed " + seed);
            }
            AdaMergingNode.Objective.Fit fit = obj.fit(40, 0.02f, 0.3f, layerWise, null);
            double[] e = fit.entropies();
            assertTrue(e[e.length - 1] < e[0] - 1e-6, "entropy after 40 steps " + e[e.length - 1] + " vs before " + e[0] + ", seed " + seed);
            assertEquals(entropy64(s, xs, widen(fit.lambda()), layerWise), e[e.length - 1], 1e-4 * e[0], "final entropy, seed " + seed);
        }
    }

    @Test
    void adamergingWithoutStepsIsTaskArithmeticAndKeepsEachTasksHead() throws Exception {
        long seed = TestSeeds.next();
        Setup s = setup(seed, 3, 4);
        List<Tensor> xs = s.tasks().tasks().stream().map(t -> t.test().x()).toList();
        AdaMergingNode.Objective obj = new AdaMergingNode.Objective(OPS, s.tasks(), xs, true);
        AdaMergingNode.Objective.Fit fit = obj.fit(0, 0.01f, 0.3f, true, null);
        Mlp merged = s.tasks().assemble(obj.trunk(fit.lambda()));
        for (String k : s.tasks().trunkNames()) {
            float[] b = s.base().parameters().get(k).data();
            double[] want = new double[b.length];
            for (int j = 0; j < b.length; j++) {
                want[j] = b[j];
                for (MergeTasks.Task t : s.tasks().tasks()) want[j] += 0.3 * ((double) t.model().parameters().get(k).data()[j] - b[j]);
            }
            assertClose(want, merged.parameters().get(k), 1e-5, "task arithmetic " + k + ", seed " + seed);
        }
        for (MergeTasks.Task t : s.tasks().tasks()) {
            for (String part : List.of("weight", "bias")) {
                assertArrayEquals(t.model().parameters().get("head." + t.head() + "." + part).data(),
                        merged.parameters().get("head." + t.mergedHead() + "." + part).data(), "head of " + t.head());
            }
        }
        assertEquals(List.of("h0", "h1", "h2"), List.copyOf(merged.spec().heads().keySet()));
    }
}
