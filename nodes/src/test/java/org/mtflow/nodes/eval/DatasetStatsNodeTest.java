package org.mtflow.nodes.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

class DatasetStatsNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path data;

    /** Labels drawn unevenly, so that some classes are rare or absent and a swapped count shows. */
    static IdxFiles.UByte skewedLabels(SplittableRandom rnd, int n) {
        byte[] y = new byte[n];
        for (int i = 0; i < n; i++) {
            int c = (int) Math.floor(Math.sqrt(rnd.nextDouble()) * 8); // classes 0..7, more of the high ones
            y[i] = (byte) c;
        }
        return new IdxFiles.UByte(new int[] {n}, y);
    }

    private NodeRuns.Run stats(Integer limit) throws Exception {
        Workflows.Task f = Workflows.named("stats", 1).task("f", "data.fashion-mnist").with("dir", data.toString());
        if (limit != null) f.with("limit", limit);
        return runs.run(f.task("s", "eval.dataset-stats").input("dataset", "f.dataset").build());
    }

    /** Class name → count over the first {@code n} labels, counted here from the IDX bytes. */
    static Map<String, Long> countFirst(IdxFiles.UByte labels, int n) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String c : FashionMnistNode.CLASSES) out.put(c, 0L);
        for (int i = 0; i < n; i++) out.merge(FashionMnistNode.CLASSES.get(labels.at(i)), 1L, Long::sum);
        return out;
    }

    static double pixelMean(IdxFiles.UByte images, int n) {
        int per = images.dims()[1] * images.dims()[2];
        double sum = 0;
        for (int i = 0; i < n * per; i++) sum += images.at(i) / 255.0;
        return n == 0 ? 0 : sum / (n * per);
    }

    private static void assertSplitStats(JsonNode split, IdxFiles.UByte images, IdxFiles.UByte labels, int n, String msg) {
        assertEquals(n, split.path("examples").asInt(), msg + ": " + split);
        Map<String, Long> got = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : split.path("class-counts").properties()) got.put(e.getKey(), e.getValue().asLong());
        assertEquals(countFirst(labels, n), got, msg);
        assertEquals(FashionMnistNode.CLASSES, List.copyOf(got.keySet()), msg + ": classes in order");
        double mean = pixelMean(images, n);
        // The node sums in float32 blocks (rms error ~2e-6 relative here); /256 instead of /255 would be off by 4e-3.
        assertEquals(mean, split.path("feature-mean").asDouble(), 1e-4 * Math.max(mean, 1e-3), msg + ": feature-mean");
    }

    @Test
    void classCountsAndFeatureMeanMatchFiguresComputedFromTheIdxFiles() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int nTrain = 200 + rnd.nextInt(300), nTest = 50 + rnd.nextInt(100);
        IdxFiles.UByte trainX = IdxFiles.randomImages(rnd, nTrain, 5, 4), trainY = skewedLabels(rnd, nTrain);
        IdxFiles.UByte testX = IdxFiles.randomImages(rnd, nTest, 5, 4), testY = skewedLabels(rnd, nTest);
        IdxFiles.writeFashionDir(data, trainX, trainY, testX, testY, true);
        String msg = "seed=" + seed;

        NodeRuns.Run run = stats(null);
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        JsonNode metrics = run.metrics("s");
        assertEquals("fashion-mnist", metrics.path("dataset").asText(), msg);
        assertEquals(FashionMnistNode.CLASSES, Json.MAPPER.convertValue(metrics.path("classes"), List.class), msg);
        assertSplitStats(metrics.path("train"), trainX, trainY, nTrain, msg + " train");
        assertSplitStats(metrics.path("test"), testX, testY, nTest, msg + " test");
        // Classes 8 and 9 never occur: listed with 0, not left out.
        assertEquals(0, metrics.path("train").path("class-counts").path("Bag").asLong(), msg);
        assertEquals(0, metrics.path("train").path("class-counts").path("Ankle boot").asLong(), msg);

        // The stats artifact holds the same figures as the metrics.
        JsonNode artifact = Json.MAPPER.readTree(run.artifact("s", "stats").toFile());
        for (String key : List.of("dataset", "classes", "train", "test")) {
            assertEquals(metrics.path(key), artifact.path(key), msg + ": " + key);
        }
    }

    @Test
    void countsFollowTheLimit() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        IdxFiles.UByte trainX = IdxFiles.randomImages(rnd, 120, 3, 3), trainY = skewedLabels(rnd, 120);
        IdxFiles.UByte testX = IdxFiles.randomImages(rnd, 40, 3, 3), testY = skewedLabels(rnd, 40);
        IdxFiles.writeFashionDir(data, trainX, trainY, testX, testY, true);
        NodeRuns.Run run = stats(25);
        String msg = "seed=" + seed;
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        assertSplitStats(run.metrics("s").path("train"), trainX, trainY, 25, msg + " train");
        assertSplitStats(run.metrics("s").path("test"), testX, testY, 25, msg + " test");
    }

    @Test
    void anEmptySplitHasZeroExamplesAndAZeroMean() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        IdxFiles.UByte trainX = IdxFiles.randomImages(rnd, 30, 2, 2), trainY = skewedLabels(rnd, 30);
        IdxFiles.UByte noImages = new IdxFiles.UByte(new int[] {0, 2, 2}, new byte[0]);
        IdxFiles.UByte noLabels = new IdxFiles.UByte(new int[] {0}, new byte[0]);
        IdxFiles.writeFashionDir(data, trainX, trainY, noImages, noLabels, true);
        NodeRuns.Run run = stats(null);
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        JsonNode test = run.metrics("s").path("test");
        assertEquals(0, test.path("examples").asInt(), test.toString());
        assertEquals(0.0, test.path("feature-mean").asDouble(), test.toString());
        test.path("class-counts").forEach(c -> assertEquals(0, c.asLong(), test.toString()));
    }

    @Test
    void labelsThatAreNotClassIndexesAreCountedAsOther() {
        Tensor labels = Tensor.of(new float[] {0, 1, 1, 2.5f, -1, 3, 99, 3, Float.NaN}, 9);
        Map<String, Long> counts = DatasetStatsNode.classCounts(labels, List.of("a", "b", "c", "d"));
        Map<String, Long> want = new LinkedHashMap<>();
        want.put("a", 1L);
        want.put("b", 2L);
        want.put("c", 0L);
        want.put("d", 2L);
        want.put("other", 4L);
        assertEquals(want, counts);
        assertEquals(List.copyOf(want.keySet()), List.copyOf(counts.keySet()));

        Map<String, Long> clean = DatasetStatsNode.classCounts(Tensor.of(new float[] {1, 0}, 2), List.of("a", "b"));
        assertEquals(Map.of("a", 1L, "b", 1L), clean);
        assertTrue(!clean.containsKey("other"));
    }
}
