package org.mtflow.nodes.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.event.Json;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;
import org.mtflow.nodes.data.FashionMnistNode;
import org.mtflow.nodes.data.IdxFiles;

/** eval.metrics and eval.normalized run in workflows, fed predictions a test node copies in. */
class EvalNodesTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns(new FileNode());
    static final int CLASSES = FashionMnistNode.CLASSES.size();

    @TempDir Path dir;

    private IdxFiles.UByte trainY, testY;

    private void dataset(SplittableRandom rnd, int nTrain, int nTest) throws Exception {
        trainY = IdxFiles.randomLabels(rnd, nTrain, CLASSES);
        testY = IdxFiles.randomLabels(rnd, nTest, CLASSES);
        IdxFiles.writeFashionDir(dir.resolve("data"), IdxFiles.randomImages(rnd, nTrain, 2, 2), trainY,
                IdxFiles.randomImages(rnd, nTest, 2, 2), testY, true);
    }

    /** Writes a dataset with random labels and returns its test labels. */
    private int[] testLabels(SplittableRandom rnd, int nTrain, int nTest) throws Exception {
        dataset(rnd, nTrain, nTest);
        return labels(testY);
    }

    private Path write(String name, Predictions p) throws Exception {
        Path file = dir.resolve(name + ".safetensors");
        try (OutputStream out = Files.newOutputStream(file)) { p.write(out); }
        return file;
    }

    private static int[] labels(IdxFiles.UByte y) {
        int[] out = new int[y.count()];
        for (int i = 0; i < out.length; i++) out[i] = y.at(i);
        return out;
    }

    /** Predictions right with probability {@code skill}, else random logits (ties included). */
    private static Tensor logits(SplittableRandom rnd, int[] truth, double skill) {
        Tensor z = EvaluationTest.tiedLogits(rnd, truth.length, CLASSES);
        for (int i = 0; i < truth.length; i++) if (rnd.nextDouble() < skill) z.data()[i * CLASSES + truth[i]] = 5;
        return z;
    }

    private Workflows.Task fashion(String wf) {
        return Workflows.named(wf, 1).task("f", "data.fashion-mnist").with("dir", dir.resolve("data").toString());
    }

    private static int[] twoTasks(SplittableRandom rnd, int n) {
        int[] tasks = new int[n];
        for (int i = 0; i < n; i++) tasks[i] = rnd.nextInt(2);
        return tasks;
    }

    /** Adds, per (name, file) pair, task p<name> copying the file and e<name> scoring it against f's dataset. */
    private static Workflows.Task scored(Workflows.Task w, Object... namesAndFiles) {
        for (int i = 0; i < namesAndFiles.length; i += 2) {
            String name = (String) namesAndFiles[i];
            w = w.task("p" + name, "test.file").with("path", namesAndFiles[i + 1].toString()).task("e" + name, "eval.metrics")
                    .input("predictions", "p" + name + ".file").input("dataset", "f.dataset");
        }
        return w;
    }

    @Test
    void metricsArtifactAndReportHoldTheReferenceFiguresPerTask() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        String msg = "seed=" + seed;
        int[] truth = testLabels(rnd, 20, 100 + rnd.nextInt(200)), tasks = twoTasks(rnd, truth.length);
        int n = truth.length;
        Tensor z = logits(rnd, truth, 0.6);
        Path file = write("p", Predictions.ofLogits(z, tasks, List.of("left", "right", "none")));

        NodeRuns.Run run = runs.run(fashion("metrics").task("p", "test.file").with("path", file.toString())
                .task("m", "eval.metrics").input("predictions", "p.file").input("dataset", "f.dataset").build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        JsonNode art = Json.MAPPER.readTree(run.artifact("m", "metrics").toFile());
        JsonNode report = run.metrics("m");
        assertEquals(Metrics.FORMAT, art.path("format").asText(), msg);
        assertEquals("fashion-mnist", art.path("dataset").asText(), msg);
        assertEquals("test", art.path("split").asText(), msg);
        assertEquals(n, art.path("examples").asLong(), msg);

        long allCorrect = 0;
        double allLoss = 0;
        String[] names = {"left", "right"};
        for (int t = 0; t < 2; t++) {
            long[][] conf = new long[CLASSES][CLASSES];
            long count = 0, correct = 0;
            double loss = 0;
            for (int i = 0; i < n; i++) {
                if (tasks[i] != t) continue;
                int guess = EvaluationTest.refArgmax(z.data(), i * CLASSES, CLASSES);
                conf[truth[i]][guess]++;
                count++;
                if (guess == truth[i]) correct++;
                loss += EvaluationTest.refLoss(z.data(), i * CLASSES, CLASSES, truth[i]);
            }
            JsonNode got = art.path("tasks").path(names[t]);
            String tmsg = msg + " task " + names[t];
            assertEquals(count, got.path("examples").asLong(), tmsg);
            assertEquals(correct, got.path("correct").asLong(), tmsg);
            assertEquals((double) correct / count, got.path("accuracy").asDouble(), 1e-15, tmsg);
            assertEquals(loss / count, got.path("loss").asDouble(), 1e-12, tmsg);
            for (int a = 0; a < CLASSES; a++) {
                for (int b = 0; b < CLASSES; b++) assertEquals(conf[a][b], got.path("confusion").path(a).path(b).asLong(), tmsg + " [" + a + "][" + b + "]");
            }
            assertEquals(got.path("accuracy"), report.path("task-accuracy").path(names[t]), tmsg);
            allCorrect += correct;
            allLoss += loss;
        }
        // A named task without examples: listed, accuracy null, left out of the macro average.
        JsonNode none = art.path("tasks").path("none");
        assertEquals(0, none.path("examples").asLong(), msg);
        assertTrue(none.path("accuracy").isNull(), msg + ": " + none);
        assertEquals((double) allCorrect / n, art.path("accuracy").asDouble(), 1e-15, msg);
        assertEquals((art.path("tasks").path("left").path("accuracy").asDouble() + art.path("tasks").path("right").path("accuracy").asDouble()) / 2,
                art.path("macro-accuracy").asDouble(), 1e-15, msg);
        assertEquals(allLoss / n, art.path("loss").asDouble(), 1e-12, msg);
        for (String k : List.of("accuracy", "macro-accuracy", "loss", "examples")) assertEquals(art.path(k), report.path(k), msg + " " + k);

        // The same inputs give the same bytes.
        NodeRuns.Run again = runs.run(scored(fashion("metrics"), "", file).build());
        assertEquals(run.hash("m", "metrics"), again.hash("e", "metrics"), msg);
    }

    @Test
    void theTrainSplitIsScoredWhenAskedAndAWrongCountFailsNamingBoth() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        // Train and test sizes must differ, or the wrong-split case below would be right.
        dataset(rnd, 41 + rnd.nextInt(30), 40);
        int[] truth = labels(trainY);
        Path right = write("train", Predictions.ofLabels(truth.clone(), null, List.of()));
        NodeRuns.Run run = runs.run(fashion("train").task("p", "test.file").with("path", right.toString())
                .task("m", "eval.metrics").with("split", "train").input("predictions", "p.file").input("dataset", "f.dataset").build());
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        JsonNode m = run.metrics("m");
        assertEquals(1.0, m.path("accuracy").asDouble(), "seed=" + seed);
        assertEquals(1.0, m.path("task-accuracy").path("fashion-mnist").asDouble(), "one task, named after the dataset");
        assertTrue(m.path("loss").isMissingNode(), "labels only: no loss " + m);

        NodeRuns.Run wrong = runs.run(fashion("wrong").task("p", "test.file").with("path", right.toString())
                .task("m", "eval.metrics").input("predictions", "p.file").input("dataset", "f.dataset").build());
        assertEquals("failed", wrong.status("m"), wrong.report().toString());
        String error = wrong.task("m").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains(truth.length + " predictions for 40 examples of the test split"), error);

        Path notPredictions = dir.resolve("t.safetensors");
        org.mtflow.kernels.format.Safetensors.writeFile(notPredictions, java.util.Map.of("tensor", Tensor.of(new float[] {1}, 1)), java.util.Map.of());
        NodeRuns.Run bad = runs.run(fashion("bad").task("p", "test.file").with("path", notPredictions.toString())
                .task("m", "eval.metrics").input("predictions", "p.file").input("dataset", "f.dataset").build());
        assertEquals("failed", bad.status("m"), bad.report().toString());
        assertTrue(bad.task("m").path("error").asText().contains("not a predictions artifact"), bad.task("m").toString());
    }

    @Test
    void normalizedAccuracyDividesTheModelsTaskAccuracyByEachFineTunedModels() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        String msg = "seed=" + seed;
        int[] truth = testLabels(rnd, 10, 150 + rnd.nextInt(100)), tasks = twoTasks(rnd, truth.length);
        int n = truth.length;
        Tensor merged = logits(rnd, truth, 0.4), refA = logits(rnd, truth, 0.8), refB = logits(rnd, truth, 0.9);
        Path m = write("merged", Predictions.ofLogits(merged, tasks, List.of("A", "B")));
        Path a = write("a", Predictions.ofLogits(refA, null, List.of("A")));
        Path b = write("b", Predictions.ofLogits(refB, null, List.of("B")));

        Workflows.Task w = scored(fashion("normalized"), "m", m, "a", a, "b", b);
        NodeRuns.Run run = runs.run(w.task("n", "eval.normalized").inputs("metrics", "em.metrics").inputs("references", "ea.metrics", "eb.metrics").build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());

        double sum = 0, accSum = 0;
        JsonNode art = Json.MAPPER.readTree(run.artifact("n", "normalized").toFile());
        assertEquals(NormalizedAccuracy.FORMAT, art.path("format").asText(), msg);
        Tensor[] refs = {refA, refB};
        for (int t = 0; t < 2; t++) {
            long count = 0, right = 0;
            for (int i = 0; i < n; i++) {
                if (tasks[i] != t) continue;
                count++;
                if (EvaluationTest.refArgmax(merged.data(), i * CLASSES, CLASSES) == truth[i]) right++;
            }
            long refRight = 0;
            for (int i = 0; i < n; i++) if (EvaluationTest.refArgmax(refs[t].data(), i * CLASSES, CLASSES) == truth[i]) refRight++;
            double acc = (double) right / count, ref = (double) refRight / n;
            String name = t == 0 ? "A" : "B";
            JsonNode got = art.path("tasks").path(name);
            assertEquals(acc, got.path("accuracy").asDouble(), 1e-15, msg + " " + name);
            assertEquals(ref, got.path("reference-accuracy").asDouble(), 1e-15, msg + " " + name);
            assertEquals(acc / ref, got.path("normalized").asDouble(), 1e-14, msg + " " + name);
            assertEquals(acc / ref, run.metrics("n").path("task-normalized-accuracy").path(name).asDouble(), 1e-14, msg + " " + name);
            sum += acc / ref;
            accSum += acc;
        }
        assertEquals(sum / 2, art.path("mean").asDouble(), 1e-14, msg);
        assertEquals(sum / 2, run.metrics("n").path("normalized-accuracy").asDouble(), 1e-14, msg);
        assertEquals(accSum / 2, run.metrics("n").path("mean-accuracy").asDouble(), 1e-14, msg);

        // Without B's fine-tuned model there is nothing to normalize B by.
        Workflows.Task w2 = scored(fashion("missing"), "m", m, "a", a);
        NodeRuns.Run missing = runs.run(w2.task("n", "eval.normalized").inputs("metrics", "em.metrics").inputs("references", "ea.metrics").build());
        assertEquals("failed", missing.status("n"), missing.report().toString());
        String error = missing.task("n").path("error").asText();
        assertTrue(error.contains("no reference accuracy for task 'B'; references cover [A]"), error);
    }
}
