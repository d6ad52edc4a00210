package org.mtflow.nodes.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;

class MlpTest {
    static final JavaOps OPS = new JavaOps(2);

    @AfterAll static void close() { OPS.close(); }

    @TempDir Path dir;

    static MlpSpec small(Activation act) {
        Map<String, Integer> heads = new LinkedHashMap<>();
        heads.put("a", 4);
        heads.put("b", 3);
        return new MlpSpec(7, List.of(6, 5), act, heads);
    }

    static Tensor randomTensor(SplittableRandom rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) t.data()[i] = (float) (rnd.nextDouble() * 2 - 1);
        return t;
    }

    /** A model with random weights and biases (not the init's zero biases, so bias paths are exercised). */
    static Mlp randomModel(MlpSpec spec, SplittableRandom rnd) {
        Mlp m = Mlp.init(spec, OPS, rnd.nextLong(), rnd.nextLong());
        for (Tensor t : m.parameters().values()) {
            for (int i = 0; i < t.size(); i++) t.data()[i] = (float) (rnd.nextDouble() * 1.6 - 0.8);
        }
        return m;
    }

    // ------------------------------------------------------------ float64 reference

    static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** Mean cross-entropy of the model's head computed in double from scratch, from the weights in {@code p}. */
    static double referenceLoss(MlpSpec spec, Map<String, double[]> p, double[] x, int rows, int[] labels, String head) {
        double[] a = x;
        int width = spec.inputs();
        for (int i = 0; i < spec.hidden().size(); i++) {
            int out = spec.hidden().get(i);
            double[] next = affine(a, rows, width, p.get("trunk." + i + ".weight"), p.get("trunk." + i + ".bias"), out);
            for (int j = 0; j < next.length; j++) next[j] = spec.activation() == Activation.RELU ? Math.max(0, next[j]) : gelu(next[j]);
            a = next;
            width = out;
        }
        int classes = spec.heads().get(head);
        double[] logits = affine(a, rows, width, p.get("head." + head + ".weight"), p.get("head." + head + ".bias"), classes);
        return crossEntropy(logits, rows, classes, labels);
    }

    static double[] affine(double[] a, int rows, int in, double[] w, double[] b, int out) {
        double[] z = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < out; c++) {
                double s = b[c];
                for (int k = 0; k < in; k++) s += a[r * in + k] * w[k * out + c];
                z[r * out + c] = s;
            }
        }
        return z;
    }

    static double crossEntropy(double[] logits, int rows, int classes, int[] labels) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(logits[r * classes + c] - max);
            total -= logits[r * classes + labels[r]] - max - Math.log(sum);
        }
        return total / rows;
    }

    static double[] toDouble(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) d[i] = t.data()[i];
        return d;
    }

    /** |analytic − numeric| ≤ 1e-3·|numeric| + 1e-4·(largest |numeric| of the tensor). */
    static void assertClose(double[] numeric, float[] analytic, String what) {
        double scale = 0;
        for (double v : numeric) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 0, what + ": the numeric gradient is all zeros, the check would be vacuous");
        for (int i = 0; i < numeric.length; i++) {
            double tol = 1e-3 * Math.abs(numeric[i]) + 1e-4 * scale;
            assertTrue(Math.abs(analytic[i] - numeric[i]) <= tol,
                    what + " element " + i + ": analytic " + analytic[i] + ", numeric " + numeric[i] + " (tolerance " + tol + ")");
        }
    }

    // ------------------------------------------------------------ gradients

    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyParameterGradientMatchesCentralDifferencesInDouble(Activation act) {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        MlpSpec spec = small(act);
        Mlp model = randomModel(spec, rnd);
        int rows = 9;
        Tensor x = randomTensor(rnd, rows, spec.inputs());
        for (String head : spec.heads().keySet()) {
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) labels[r] = rnd.nextInt(spec.heads().get(head));
            Map<String, Tensor> grads = new HashMap<>();
            double loss = model.lossAndGradients(OPS, x, labels, head, grads);

            Map<String, double[]> p = new HashMap<>();
            model.parameters().forEach((k, t) -> p.put(k, toDouble(t)));
            double[] xd = toDouble(x);
            double refLoss = referenceLoss(spec, p, xd, rows, labels, head);
            assertEquals(refLoss, loss, 1e-5 * Math.max(1, refLoss), "loss, seed " + seed);

            int checked = 0;
            for (String name : model.parameters().keySet()) {
                if (name.startsWith("head.") && !name.startsWith("head." + head + ".")) {
                    assertTrue(!grads.containsKey(name), "head " + head + "'s step gave a gradient to " + name + ", seed " + seed);
                    continue;
                }
                double[] w = p.get(name);
                double[] numeric = new double[w.length];
                double h = 1e-6;
                for (int i = 0; i < w.length; i++) {
                    double keep = w[i];
                    w[i] = keep + h;
                    double up = referenceLoss(spec, p, xd, rows, labels, head);
                    w[i] = keep - h;
                    double down = referenceLoss(spec, p, xd, rows, labels, head);
                    w[i] = keep;
                    numeric[i] = (up - down) / (2 * h);
                }
                Tensor g = grads.get(name);
                assertTrue(g != null, "no gradient for " + name + ", seed " + seed);
                assertArrayEquals(model.parameters().get(name).shape(), g.shape(), name);
                assertClose(numeric, g.data(), act.token() + " head " + head + " " + name + ", seed " + seed);
                checked++;
            }
            assertEquals(6, checked, "trunk (2 layers) and one head, weight and bias each");
        }
    }

    @Test
    void lossGradientMatchesCentralDifferencesInDouble() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 11, classes = 6;
        Tensor logits = randomTensor(rnd, rows, classes);
        for (int i = 0; i < logits.size(); i++) logits.data()[i] *= 4;
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) labels[r] = rnd.nextInt(classes);
        Tensor grad = Tensor.zerosLike(logits);
        double loss = OPS.softmaxCrossEntropy(logits, labels, grad);
        double[] z = toDouble(logits);
        assertEquals(crossEntropy(z, rows, classes, labels), loss, 1e-5, "seed " + seed);
        double[] numeric = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            double keep = z[i];
            z[i] = keep + 1e-6;
            double up = crossEntropy(z, rows, classes, labels);
            z[i] = keep - 1e-6;
            double down = crossEntropy(z, rows, classes, labels);
            z[i] = keep;
            numeric[i] = (up - down) / 2e-6;
        }
        assertClose(numeric, grad.data(), "d loss / d logits, seed " + seed);
    }

    // ------------------------------------------------------------ files and determinism

    @Test
    void saveThenLoadIsBitIdenticalAndOtherToolsSeeTheArchitecture() throws Exception {
        long seed = TestSeeds.next();
        Mlp model = randomModel(small(Activation.GELU), new SplittableRandom(seed));
        Path file = dir.resolve("m.safetensors");
        model.writeFile(file);
        Mlp back = Mlp.read(file);
        assertEquals(model.spec(), back.spec());
        assertEquals(model.parameters().keySet(), back.parameters().keySet());
        model.parameters().forEach((k, t) -> {
            Tensor b = back.parameters().get(k);
            assertArrayEquals(t.shape(), b.shape(), k);
            for (int i = 0; i < t.size(); i++) {
                assertEquals(Float.floatToRawIntBits(t.data()[i]), Float.floatToRawIntBits(b.data()[i]), k + "[" + i + "], seed " + seed);
            }
        });
        Path again = dir.resolve("again.safetensors");
        back.writeFile(again);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again), "rewritten file differs");
        try (Safetensors.Reader r = Safetensors.open(file)) {
            assertEquals("{\"layers\":[7,6,5],\"activation\":\"gelu\",\"heads\":{\"a\":4,\"b\":3}}", r.metadata().get("architecture"));
        }
    }

    @Test
    void aFileThatIsNotAModelIsRefusedWithTheReason() throws Exception {
        Path file = dir.resolve("t.safetensors");
        Safetensors.writeFile(file, Map.of("tensor", Tensor.zeros(2)), Map.of());
        FormatException e = assertThrows(FormatException.class, () -> Mlp.read(file));
        assertTrue(e.getMessage().contains("not a model"), e.getMessage());
    }

    /** Init and a few steps of each optimizer, twice from the same seed: the same bits. */
    @ParameterizedTest
    @EnumSource(Optimizer.Kind.class)
    void sameSeedGivesBitIdenticalWeights(Optimizer.Kind kind) {
        long seed = TestSeeds.next();
        float[][] first = train(kind, seed), second = train(kind, seed);
        for (int t = 0; t < first.length; t++) {
            for (int i = 0; i < first[t].length; i++) {
                assertEquals(Float.floatToRawIntBits(first[t][i]), Float.floatToRawIntBits(second[t][i]),
                        "tensor " + t + " element " + i + ", seed " + seed);
            }
        }
        float[][] other = train(kind, seed + 1);
        assertTrue(!java.util.Arrays.deepEquals(first, other), "a different seed gave the same weights");
    }

    @Test
    void withHeadsKeepsTheTrunkAndInitsTheNewHeadsAsAFreshModelWould() {
        long seed = TestSeeds.next();
        Mlp base = randomModel(small(Activation.RELU), new SplittableRandom(seed));
        Mlp moved = base.withHeads(Map.of("c", 5), OPS, 3, 4);
        Mlp fresh = Mlp.init(new MlpSpec(7, List.of(6, 5), Activation.RELU, Map.of("c", 5)), OPS, 3, 4);
        assertEquals(fresh.parameters().keySet(), moved.parameters().keySet());
        moved.parameters().forEach((k, t) -> assertArrayEquals(
                (k.startsWith("trunk.") ? base : fresh).parameters().get(k).data(), t.data(), k + ", seed " + seed));
        Mlp kept = base.keepingHead("b");
        assertEquals(Map.of("b", 3), kept.spec().heads());
        kept.parameters().forEach((k, t) -> assertArrayEquals(base.parameters().get(k).data(), t.data(), k));
    }

    static float[][] train(Optimizer.Kind kind, long seed) {
        MlpSpec spec = small(Activation.RELU);
        Mlp model = Mlp.init(spec, OPS, seed, 17);
        Optimizer opt = new Optimizer(kind, 0.9f, 0.01f);
        SplittableRandom data = new SplittableRandom(42);
        for (int step = 0; step < 5; step++) {
            Tensor x = randomTensor(data, 8, 7);
            int[] y = new int[8];
            for (int r = 0; r < 8; r++) y[r] = data.nextInt(4);
            Map<String, Tensor> grads = new HashMap<>();
            model.lossAndGradients(OPS, x, y, "a", grads);
            opt.step(OPS, model.parameters(), grads, 0.05f);
        }
        return model.parameters().values().stream().map(t -> t.data().clone()).toArray(float[][]::new);
    }
}
