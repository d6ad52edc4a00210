package org.mtflow.nodes.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;

class EvaluationTest {
    @TempDir Path dir;

    /** Logits on a coarse grid (multiples of 0.5 in [-2, 2]), so rows often tie for the maximum. */
    static Tensor tiedLogits(SplittableRandom rnd, int n, int classes) {
        float[] z = new float[n * classes];
        for (int i = 0; i < z.length; i++) z[i] = (rnd.nextInt(9) - 4) * 0.5f;
        return Tensor.of(z, n, classes);
    }

    /** The reference's argmax: the largest value, and among equals the lowest index (a different scan: from the end, >=). */
    static int refArgmax(float[] z, int base, int classes) {
        int best = classes - 1;
        for (int c = classes - 2; c >= 0; c--) if (z[base + c] >= z[base + best]) best = c;
        return best;
    }

    /** −log p(label) straight from the softmax definition (the logits here are small, nothing overflows). */
    static double refLoss(float[] z, int base, int classes, int label) {
        double total = 0;
        for (int c = 0; c < classes; c++) total += Math.exp(z[base + c]);
        return -Math.log(Math.exp(z[base + label]) / total);
    }

    @Test
    void everyFigureMatchesASimpleReferenceOnRandomPredictions() {
        for (int round = 0; round < 20; round++) {
            long seed = TestSeeds.next();
            SplittableRandom rnd = new SplittableRandom(seed);
            String msg = "seed=" + seed;
            int n = rnd.nextInt(400), classes = 2 + rnd.nextInt(6), taskIds = 1 + rnd.nextInt(4);
            int named = taskIds + rnd.nextInt(2); // sometimes one more named task, which has no examples
            Tensor logits = tiedLogits(rnd, n, classes);
            int[] truth = new int[n], tasks = new int[n];
            for (int i = 0; i < n; i++) {
                truth[i] = rnd.nextInt(classes);
                tasks[i] = rnd.nextInt(taskIds);
            }
            List<String> names = new ArrayList<>();
            for (int t = 0; t < named; t++) names.add("t" + t + "-" + rnd.nextInt(1000));
            Metrics m = Evaluation.evaluate(Predictions.ofLogits(logits, tasks, names), truth, List.of(), classes, "ds", "test", "x");

            float[] z = logits.data();
            assertEquals(names, List.copyOf(m.tasks().keySet()), msg);
            double accSum = 0, lossSum = 0, allLoss = 0;
            int withExamples = 0;
            long allCorrect = 0;
            for (int t = 0; t < named; t++) {
                long[][] conf = new long[classes][classes];
                long count = 0, correct = 0;
                double loss = 0;
                for (int i = 0; i < n; i++) {
                    if (tasks[i] != t) continue;
                    int guess = refArgmax(z, i * classes, classes);
                    conf[truth[i]][guess]++;
                    count++;
                    if (guess == truth[i]) correct++;
                    loss += refLoss(z, i * classes, classes, truth[i]);
                }
                Metrics.TaskMetrics got = m.tasks().get(names.get(t));
                String tmsg = msg + " task " + t;
                for (int a = 0; a < classes; a++) assertArrayEquals(conf[a], got.confusion()[a], tmsg + " confusion row " + a);
                assertEquals(classes, got.confusion().length, tmsg);
                assertEquals(count, got.examples(), tmsg);
                assertEquals(correct, got.correct(), tmsg);
                if (count == 0) {
                    assertNull(got.accuracy(), tmsg);
                    assertNull(got.loss(), tmsg);
                    assertNull(got.macroRecall(), tmsg);
                    continue;
                }
                assertEquals((double) correct / count, got.accuracy(), 1e-15, tmsg);
                assertEquals(loss / count, got.loss(), 1e-12 * Math.max(1, loss / count), tmsg);
                double recall = 0;
                int present = 0;
                for (int a = 0; a < classes; a++) {
                    long row = 0;
                    for (long v : conf[a]) row += v;
                    if (row > 0) {
                        recall += (double) conf[a][a] / row;
                        present++;
                    }
                }
                assertEquals(recall / present, got.macroRecall(), 1e-15, tmsg);
                withExamples++;
                accSum += (double) correct / count;
                lossSum += loss / count;
                allLoss += loss;
                allCorrect += correct;
            }
            assertEquals(n, m.examples(), msg);
            assertEquals(allCorrect, m.correct(), msg);
            if (n == 0) {
                assertNull(m.accuracy(), msg);
                assertNull(m.loss(), msg);
                continue;
            }
            assertEquals((double) allCorrect / n, m.accuracy(), 1e-15, msg);
            assertEquals(accSum / withExamples, m.macroAccuracy(), 1e-15, msg);
            assertEquals(allLoss / n, m.loss(), 1e-12, msg);
            assertEquals(lossSum / withExamples, m.macroLoss(), 1e-12, msg);
        }
    }

    @Test
    void tiesGoToTheLowestIndexAsTheKernelsArgmaxDoes() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor logits = tiedLogits(rnd, 500, 2 + rnd.nextInt(8));
        int[] kernel = new int[500];
        new JavaOps(1).argmaxRows(logits, kernel);
        assertArrayEquals(kernel, Predictions.argmaxRows(logits), "seed=" + seed);
        for (int r = 0; r < 500; r++) {
            assertEquals(refArgmax(logits.data(), r * logits.dim(1), logits.dim(1)), kernel[r], "seed=" + seed + " row " + r);
        }
        Tensor allEqual = Tensor.of(new float[] {1, 1, 1, 3, 2, 3}, 2, 3);
        assertArrayEquals(new int[] {0, 0}, Predictions.argmaxRows(allEqual));
    }

    @Test
    void lossStaysFiniteAndExactForLogitsThatOverflowAPlainSoftmax() {
        // log(1 + e^3) whatever the offset: e^10000 overflows a double, the max-subtracted sum does not.
        Tensor logits = Tensor.of(new float[] {10000, 10003, -10003, -10000}, 2, 2);
        Metrics m = Evaluation.evaluate(Predictions.ofLogits(logits, null, List.of()), new int[] {0, 0}, List.of("a", "b"), 2, "ds", "test", "one");
        Metrics.TaskMetrics t = m.tasks().get("one");
        assertEquals(Math.log1p(Math.exp(3)), t.loss(), 1e-12);
        assertEquals(0.0, t.accuracy());
        assertEquals(0.0, t.macroRecall(), "only class 0 has examples, none right");
        assertArrayEquals(new long[] {0, 2}, t.confusion()[0]);
        assertArrayEquals(new long[] {0, 0}, t.confusion()[1]);
    }

    @Test
    void allCorrectPredictionsGiveADiagonalConfusionAndAccuracyOne() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 + rnd.nextInt(200), classes = 2 + rnd.nextInt(5);
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) truth[i] = rnd.nextInt(classes);
        Metrics m = Evaluation.evaluate(Predictions.ofLabels(truth.clone(), null, List.of()), truth, List.of(), classes, "ds", "test", "only");
        Metrics.TaskMetrics t = m.tasks().get("only");
        assertEquals(1.0, t.accuracy(), "seed=" + seed);
        assertEquals(1.0, m.accuracy(), "seed=" + seed);
        assertNull(t.loss(), "no logits, no loss");
        assertNull(m.loss());
        for (int a = 0; a < classes; a++) {
            for (int b = 0; b < classes; b++) {
                long want = 0;
                if (a == b) for (int y : truth) if (y == a) want++;
                assertEquals(want, t.confusion()[a][b], "seed=" + seed + " [" + a + "][" + b + "]");
            }
        }
    }

    @Test
    void badPredictionsAreRefusedWithTheirPlace() {
        Tensor logits = Tensor.of(new float[] {0, 1, 2, 3}, 2, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.evaluate(Predictions.ofLogits(logits, null, List.of()), new int[] {0, 1, 1}, List.of(), 2, "ds", "test", "x"));
        assertTrue(e.getMessage().contains("2 predictions for 3 examples"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.evaluate(Predictions.ofLogits(logits, null, List.of()), new int[] {0, 1}, List.of(), 3, "ds", "test", "x"));
        assertTrue(e.getMessage().contains("logits have 2 classes, the dataset 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.evaluate(Predictions.ofLabels(new int[] {0, 4}, null, List.of()), new int[] {0, 1}, List.of(), 3, "ds", "test", "x"));
        assertTrue(e.getMessage().contains("prediction 1 is class 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Predictions.ofLogits(Tensor.of(new float[] {0, 1, Float.NaN, 3}, 2, 2), null, List.of()));
        assertTrue(e.getMessage().contains("logit [1, 0] is NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.evaluate(Predictions.ofLabels(new int[] {0, 1}, new int[] {0, 1}, List.of("a", "a")), new int[] {0, 1}, List.of(), 2, "ds", "test", "x"));
        assertTrue(e.getMessage().contains("two tasks are named 'a'"), e.getMessage());
    }

    @Test
    void predictionsAndMetricsReadBackAsWritten() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 + rnd.nextInt(100), classes = 2 + rnd.nextInt(4);
        Tensor logits = tiedLogits(rnd, n, classes);
        int[] tasks = new int[n], truth = new int[n];
        for (int i = 0; i < n; i++) {
            tasks[i] = rnd.nextInt(3);
            truth[i] = rnd.nextInt(classes);
        }
        Predictions p = Predictions.ofLogits(logits, tasks, List.of("a", "b"));
        Path file = dir.resolve("p.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) { p.write(out); }
        Predictions back = Predictions.read(file);
        assertArrayEquals(logits.data(), back.logits().data(), "seed=" + seed);
        assertArrayEquals(p.predicted(), back.predicted(), "seed=" + seed);
        assertArrayEquals(tasks, back.tasks(), "seed=" + seed);
        assertEquals(List.of("a", "b"), back.taskNames());
        assertEquals("task2", back.taskName(2));

        Predictions labels = Predictions.ofLabels(p.predicted(), null, List.of());
        try (OutputStream out = Files.newOutputStream(file)) { labels.write(out); }
        Predictions labelsBack = Predictions.read(file);
        assertNull(labelsBack.logits());
        assertNull(labelsBack.tasks());
        assertArrayEquals(p.predicted(), labelsBack.predicted());

        Metrics m = Evaluation.evaluate(p, truth, List.of(), classes, "ds", "test", "x");
        Path json = dir.resolve("m.json");
        try (OutputStream out = Files.newOutputStream(json)) { m.write(out); }
        Metrics mBack = Metrics.read(json);
        assertEquals(m.accuracy(), mBack.accuracy());
        assertEquals(m.macroAccuracy(), mBack.macroAccuracy());
        assertEquals(m.loss(), mBack.loss());
        assertEquals(m.tasks().keySet(), mBack.tasks().keySet());
        for (String t : m.tasks().keySet()) {
            Metrics.TaskMetrics a = m.tasks().get(t), b = mBack.tasks().get(t);
            assertEquals(a.accuracy(), b.accuracy(), t);
            assertEquals(a.loss(), b.loss(), t);
            assertEquals(a.macroRecall(), b.macroRecall(), t);
            for (int c = 0; c < classes; c++) assertArrayEquals(a.confusion()[c], b.confusion()[c], t);
        }
    }

    @Test
    void filesThatAreNotPredictionsOrMetricsAreRefused() throws Exception {
        Path tensor = dir.resolve("t.safetensors");
        Safetensors.writeFile(tensor, Map.of("tensor", Tensor.of(new float[] {1}, 1)), Map.of());
        var e = assertThrows(FormatException.class, () -> Predictions.read(tensor));
        assertTrue(e.getMessage().contains("not a predictions artifact"), e.getMessage());
        Path both = dir.resolve("both.safetensors");
        Safetensors.writeFile(both, Map.of("logits", Tensor.of(new float[] {1, 2}, 1, 2), "predicted", Tensor.of(new float[] {1}, 1)),
                Map.of("format", Predictions.FORMAT));
        e = assertThrows(FormatException.class, () -> Predictions.read(both));
        assertTrue(e.getMessage().contains("exactly one of 'logits' and 'predicted'"), e.getMessage());
        Path fractional = dir.resolve("frac.safetensors");
        Safetensors.writeFile(fractional, Map.of("predicted", Tensor.of(new float[] {1, 0.5f}, 2)), Map.of("format", Predictions.FORMAT));
        e = assertThrows(FormatException.class, () -> Predictions.read(fractional));
        assertTrue(e.getMessage().contains("'predicted'[1] is 0.5, not an index"), e.getMessage());
        Path json = dir.resolve("x.json");
        Files.writeString(json, "{\"format\": \"other\"}");
        e = assertThrows(FormatException.class, () -> Metrics.read(json));
        assertTrue(e.getMessage().contains("not a metrics artifact"), e.getMessage());
        Files.writeString(json, "{not json");
        e = assertThrows(FormatException.class, () -> Metrics.read(json));
        assertTrue(e.getMessage().contains("not a metrics artifact"), e.getMessage());
    }
}
