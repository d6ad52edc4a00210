package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.Workflows;

/**
 * The real Fashion-MNIST, as Debian's dataset-fashion-mnist installs it: loaded by the node with its
 * default directory, then checked against the IDX files read independently here.
 */
class FashionMnistRealDataTest {
    static final Path DIR = Path.of(FashionMnistNode.DEFAULT_DIR);

    @BeforeAll
    static void filesArePresent() {
        for (String f : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            assertTrue(Files.isRegularFile(DIR.resolve(f)),
                    DIR.resolve(f) + " is missing: install it with 'apt-get install -y dataset-fashion-mnist'");
        }
    }

    @Test
    void loadsAllOfFashionMnistAndReportsItsClassCounts(@TempDir Path home) throws Exception {
        try (NodeRuns runs = new NodeRuns(home)) {
            NodeRuns.Run run = runs.run(Workflows.named("fashion-real", 42)
                    .task("f", "data.fashion-mnist")
                    .task("s", "eval.dataset-stats").input("dataset", "f.dataset").build());
            assertTrue(run.outcome().ok(), () -> run.report().toString());

            IdxFiles.UByte trainLabels = IdxFiles.read(DIR.resolve("train-labels-idx1-ubyte.gz"));
            IdxFiles.UByte testLabels = IdxFiles.read(DIR.resolve("t10k-labels-idx1-ubyte.gz"));
            assertEquals(60000, trainLabels.count());
            assertEquals(10000, testLabels.count());
            long[] trainCounts = IdxFiles.counts(trainLabels, 10);
            long[] testCounts = IdxFiles.counts(testLabels, 10);
            for (int c = 0; c < 10; c++) {
                assertEquals(6000, trainCounts[c], "train class " + c);
                assertEquals(1000, testCounts[c], "test class " + c);
            }

            // What the stats node reported.
            JsonNode metrics = run.metrics("s");
            assertEquals("fashion-mnist", metrics.path("dataset").asText(), metrics.toString());
            for (String split : List.of("train", "test")) {
                JsonNode m = metrics.path(split);
                long[] want = split.equals("train") ? trainCounts : testCounts;
                assertEquals(split.equals("train") ? 60000 : 10000, m.path("examples").asInt(), split + ": " + m);
                JsonNode counts = m.path("class-counts");
                assertEquals(10, counts.size(), split + ": " + counts);
                for (int c = 0; c < 10; c++) {
                    assertEquals(want[c], counts.path(FashionMnistNode.CLASSES.get(c)).asLong(),
                            split + " class " + FashionMnistNode.CLASSES.get(c) + ": " + counts);
                }
            }
            assertEquals(60000, run.metrics("f").path("train-examples").asInt());
            assertEquals(10000, run.metrics("f").path("test-examples").asInt());

            // The dataset artifact itself, pixel by pixel against the raw files.
            Dataset ds = Dataset.read(run.artifact("f", "dataset"));
            checkSplit(ds.train(), DIR.resolve("train-images-idx3-ubyte.gz"), trainLabels, metrics.path("train"), "train");
            checkSplit(ds.test(), DIR.resolve("t10k-images-idx3-ubyte.gz"), testLabels, metrics.path("test"), "test");
        }
    }

    private static void checkSplit(Dataset.Split split, Path imagesFile, IdxFiles.UByte labels, JsonNode stats,
                                   String name) throws Exception {
        IdxFiles.UByte images = IdxFiles.read(imagesFile);
        int n = labels.count();
        assertArrayEquals(new int[] {n, 28, 28}, images.dims(), name);
        assertArrayEquals(new int[] {n, 784}, split.x().shape(), name);
        float[] x = split.x().data();
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            if (v != images.at(i) / 255f) {
                throw new AssertionError(name + " pixel " + i + " is " + v + ", expected " + images.at(i) + "/255");
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        assertEquals(0f, min, name + ": feature values must lie in [0, 1]");
        assertEquals(1f, max, name + ": feature values must lie in [0, 1]");
        for (int i = 0; i < n; i++) assertEquals(labels.at(i), split.y().data()[i], 0f, name + " label " + i);
        double mean = sum / x.length;
        double reported = stats.path("feature-mean").asDouble();
        assertEquals(mean, reported, 1e-4 * mean, name + ": feature-mean");
    }
}
