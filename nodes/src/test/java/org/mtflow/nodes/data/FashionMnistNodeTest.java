package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** data.fashion-mnist on small synthetic IDX files (the real files are tested in {@link FashionMnistRealDataTest}). */
class FashionMnistNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path data;

    /** A synthetic Fashion-MNIST: random images of a random size, random labels. */
    record Synthetic(long seed, IdxFiles.UByte trainX, IdxFiles.UByte trainY, IdxFiles.UByte testX, IdxFiles.UByte testY) {
        static Synthetic make(long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int rows = 2 + rnd.nextInt(5), cols = 2 + rnd.nextInt(5);
            int nTrain = 20 + rnd.nextInt(40), nTest = 5 + rnd.nextInt(15);
            return new Synthetic(seed, IdxFiles.randomImages(rnd, nTrain, rows, cols), IdxFiles.randomLabels(rnd, nTrain, 10),
                    IdxFiles.randomImages(rnd, nTest, rows, cols), IdxFiles.randomLabels(rnd, nTest, 10));
        }

        void writeTo(Path dir, boolean gzip) throws Exception {
            IdxFiles.writeFashionDir(dir, trainX, trainY, testX, testY, gzip);
        }

        String describe() {
            return "seed=" + seed + " train=" + trainY.count() + " test=" + testY.count() + " image="
                    + trainX.dims()[1] + "x" + trainX.dims()[2];
        }
    }

    /** The split holds the first {@code n} images, each pixel byte/255 exactly, with its label. */
    static void assertSplit(Dataset.Split split, IdxFiles.UByte images, IdxFiles.UByte labels, int n, String msg) {
        int features = images.dims()[1] * images.dims()[2];
        assertArrayEquals(new int[] {n, features}, split.x().shape(), msg + ": x shape");
        assertArrayEquals(new int[] {n}, split.y().shape(), msg + ": y shape");
        float[] x = split.x().data();
        for (int i = 0; i < x.length; i++) {
            float want = images.at(i) / 255f;
            if (x[i] != want) throw new AssertionError(msg + ": pixel " + i + " is " + x[i] + ", expected " + want);
            assertTrue(x[i] >= 0f && x[i] <= 1f, msg);
        }
        for (int i = 0; i < n; i++) assertEquals(labels.at(i), split.y().data()[i], 0f, msg + ": label " + i);
    }

    private NodeRuns.Run load(Path dir, Integer limit) throws Exception {
        Workflows.Task t = Workflows.named("fashion", 1).task("f", "data.fashion-mnist").with("dir", dir.toString());
        if (limit != null) t.with("limit", limit);
        return runs.run(t.retry(3).build());
    }

    @Test
    void loadsGzippedIdxFilesAsADatasetWithPixelsScaledToTheUnitRange() throws Exception {
        Synthetic s = Synthetic.make(TestSeeds.next());
        s.writeTo(data, true);
        NodeRuns.Run run = load(data, null);
        String msg = s.describe();
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Dataset ds = Dataset.read(run.artifact("f", "dataset"));
        assertEquals("fashion-mnist", ds.name());
        assertEquals(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Ankle boot"), ds.classes());
        assertSplit(ds.train(), s.trainX(), s.trainY(), s.trainY().count(), msg + " train");
        assertSplit(ds.test(), s.testX(), s.testY(), s.testY().count(), msg + " test");
        JsonNode metrics = run.metrics("f");
        assertEquals(s.trainY().count(), metrics.path("train-examples").asInt(), msg);
        assertEquals(s.testY().count(), metrics.path("test-examples").asInt(), msg);
    }

    @Test
    void readsUncompressedFilesToo() throws Exception {
        Synthetic s = Synthetic.make(TestSeeds.next());
        s.writeTo(data, false);
        NodeRuns.Run run = load(data, null);
        assertTrue(run.outcome().ok(), () -> s.describe() + ": " + run.report());
        Dataset ds = Dataset.read(run.artifact("f", "dataset"));
        assertSplit(ds.train(), s.trainX(), s.trainY(), s.trainY().count(), s.describe() + " train");
        assertSplit(ds.test(), s.testX(), s.testY(), s.testY().count(), s.describe() + " test");
    }

    @Test
    void limitKeepsTheFirstExamplesOfEachSplit() throws Exception {
        Synthetic s = Synthetic.make(TestSeeds.next());
        s.writeTo(data, true);
        NodeRuns.Run run = load(data, 4);
        assertTrue(run.outcome().ok(), () -> s.describe() + ": " + run.report());
        Dataset ds = Dataset.read(run.artifact("f", "dataset"));
        assertSplit(ds.train(), s.trainX(), s.trainY(), 4, s.describe() + " limit 4 train");
        assertSplit(ds.test(), s.testX(), s.testY(), 4, s.describe() + " limit 4 test");
        assertEquals(4, run.metrics("f").path("train-examples").asInt());

        // A limit above a split's size keeps the whole split.
        int between = s.testY().count() + 1;
        NodeRuns.Run wide = load(data, between);
        Dataset all = Dataset.read(wide.artifact("f", "dataset"));
        assertSplit(all.train(), s.trainX(), s.trainY(), Math.min(between, s.trainY().count()), s.describe() + " limit " + between);
        assertSplit(all.test(), s.testX(), s.testY(), s.testY().count(), s.describe() + " limit " + between);
    }

    @Test
    void theSameFilesGiveTheSameArtifact() throws Exception {
        Synthetic s = Synthetic.make(TestSeeds.next());
        s.writeTo(data, true);
        NodeRuns.Run run = runs.run(Workflows.named("fashion-twice", 1)
                .task("f1", "data.fashion-mnist").with("dir", data.toString())
                .task("f2", "data.fashion-mnist").with("dir", data.toString()).build());
        assertTrue(run.outcome().ok(), () -> s.describe() + ": " + run.report());
        assertEquals(run.hash("f1", "dataset"), run.hash("f2", "dataset"), s.describe());
    }

    @Test
    void aMissingDirectoryIsAPermanentErrorNamingTheFileAndTheInstallCommand() throws Exception {
        Path nowhere = data.resolve("no-such-dir");
        NodeRuns.Run run = load(nowhere, null);
        String msg = run.report().toString();
        assertEquals("failed", run.status("f"), msg);
        assertEquals(1, run.attempts("f"), msg + ": a permanent error must not be retried");
        List<JsonNode> failed = run.events("TaskFailed", "f");
        assertEquals(1, failed.size(), msg);
        assertEquals("permanent", failed.get(0).path("error").asText(), msg);
        String message = failed.get(0).path("message").asText();
        assertTrue(message.contains(nowhere.resolve("train-images-idx3-ubyte.gz").toString()), message);
        assertTrue(message.contains("apt-get install dataset-fashion-mnist"), message);
        assertTrue(message.contains("'dir'"), message);
    }

    @Test
    void aMissingFileOfTheTestSplitIsNamed() throws Exception {
        Synthetic s = Synthetic.make(TestSeeds.next());
        s.writeTo(data, true);
        Files.delete(data.resolve("t10k-labels-idx1-ubyte.gz"));
        NodeRuns.Run run = load(data, null);
        assertEquals("failed", run.status("f"), run.report().toString());
        assertEquals(1, run.attempts("f"));
        String error = run.task("f").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains(data.resolve("t10k-labels-idx1-ubyte.gz").toString()), error);
    }

    @Test
    void aLabelOutsideTheTenClassesIsAPermanentError() throws Exception {
        Synthetic s = Synthetic.make(TestSeeds.next());
        s.trainY().data()[3] = 10;
        s.writeTo(data, true);
        NodeRuns.Run run = load(data, null);
        assertEquals("failed", run.status("f"), run.report().toString());
        assertEquals(1, run.attempts("f"));
        String error = run.task("f").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("label 3 is 10.0"), s.describe() + ": " + error);
    }

    @Test
    void imagesAndLabelsOfDifferentCountsAreAPermanentError() throws Exception {
        Synthetic s = Synthetic.make(TestSeeds.next());
        IdxFiles.UByte shortLabels = new IdxFiles.UByte(new int[] {s.testY().count() - 1},
                java.util.Arrays.copyOf(s.testY().data(), s.testY().count() - 1));
        IdxFiles.writeFashionDir(data, s.trainX(), s.trainY(), s.testX(), shortLabels, true);
        NodeRuns.Run run = load(data, null);
        assertEquals("failed", run.status("f"), run.report().toString());
        assertEquals(1, run.attempts("f"));
        String error = run.task("f").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("t10k"), s.describe() + ": " + error);
    }
}
