package org.mtflow.nodes.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.data.IdxFiles;
import org.mtflow.nodes.eval.Predictions;

class PredictNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path data;

    private NodeRuns.Run run(long seed, String split, String head) throws Exception {
        var w = Workflows.named("predict", seed)
                .task("f", "data.fashion-mnist").with("dir", data.toString())
                .task("t", "train.fit").input("dataset", "f.dataset").with("hidden", List.of(12, 8)).with("epochs", 2).with("batch", 16)
                .task("p", "model.predict").input("model", "t.model").input("dataset", "f.dataset").with("split", split);
        if (head != null) w = w.with("head", head);
        return runs.run(w.task("m", "eval.metrics").input("predictions", "p.predictions").input("dataset", "f.dataset")
                .with("split", split).build());
    }

    /** Test and train splits of random 4×4 images; the test split is larger than a predict batch, so batches join. */
    private void writeRandomImages(long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        int test = PredictNode.BATCH + 1 + rnd.nextInt(300);
        IdxFiles.writeFashionDir(data, IdxFiles.randomImages(rnd, 200, 4, 4), IdxFiles.randomLabels(rnd, 200, 10),
                IdxFiles.randomImages(rnd, test, 4, 4), IdxFiles.randomLabels(rnd, test, 10), true);
    }

    @Test
    void logitsAreTheModelsAndTheirAccuracyIsTheOneTrainFitReports() throws Exception {
        long seed = TestSeeds.next();
        writeRandomImages(seed);
        NodeRuns.Run run = run(seed, "test", null);
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());

        Mlp model = Mlp.read(run.artifact("t", "model"));
        Dataset dataset = Dataset.read(run.artifact("f", "dataset"));
        Predictions predictions = Predictions.read(run.artifact("p", "predictions"));
        Tensor x = dataset.test().x();
        assertEquals(List.of(x.dim(0), 10), List.of(predictions.logits().dim(0), predictions.logits().dim(1)));
        assertEquals(null, predictions.tasks());
        float[] got = predictions.logits().data();
        for (int r = 0; r < x.dim(0); r++) {
            double[] want = reference(model, x, r);
            for (int c = 0; c < 10; c++) {
                float g = got[r * 10 + c];
                assertTrue(Math.abs(g - want[c]) <= 1e-4 * (1 + Math.abs(want[c])),
                        "seed " + seed + ": logit [" + r + ", " + c + "] is " + g + ", float64 reference " + want[c]);
            }
        }

        JsonNode fit = run.metrics("t");
        int correct = 0;
        int[] predicted = predictions.predicted();
        for (int i = 0; i < predicted.length; i++) if (predicted[i] == (int) dataset.test().y().data()[i]) correct++;
        assertEquals(fit.path("test-accuracy").asDouble(), correct / (double) predicted.length, "seed " + seed);
        assertEquals(fit.path("test-accuracy").asDouble(), run.metrics("m").path("accuracy").asDouble(), "seed " + seed);
        assertEquals("fashion-mnist", run.metrics("p").path("head").asText());

        NodeRuns.Run again = run(seed, "test", "fashion-mnist");
        assertTrue(again.outcome().ok(), () -> "seed " + seed + ": " + again.report());
        assertEquals(run.hash("p", "predictions"), again.hash("p", "predictions"), "same seed, same prediction bits; seed " + seed);
    }

    @Test
    void predictsTheTrainSplitAndNamesAMissingHead() throws Exception {
        long seed = TestSeeds.next();
        writeRandomImages(seed);
        NodeRuns.Run train = run(seed, "train", null);
        assertTrue(train.outcome().ok(), () -> "seed " + seed + ": " + train.report());
        assertEquals(200, Predictions.read(train.artifact("p", "predictions")).size());
        assertEquals(200, train.metrics("m").path("examples").asInt());

        NodeRuns.Run wrong = run(seed, "test", "cifar");
        assertEquals("failed", wrong.status("p"), wrong.report().toString());
        String error = wrong.task("p").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("no head 'cifar'") && error.contains("fashion-mnist"), error);
    }

    /** Row r's logits in float64: ReLU trunk, then the only head. */
    private static double[] reference(Mlp model, Tensor x, int r) {
        return reference(model, x, r, model.spec().heads().keySet().iterator().next());
    }

    /** Row r's logits in float64: ReLU trunk, then head {@code head}. */
    static double[] reference(Mlp model, Tensor x, int r, String head) {
        var p = model.parameters();
        double[] a = new double[x.dim(1)];
        for (int i = 0; i < a.length; i++) a[i] = x.data()[r * a.length + i];
        for (int l = 0; l < model.spec().hidden().size(); l++) {
            a = layer(a, p.get(Mlp.trunk(l, "weight")), p.get(Mlp.trunk(l, "bias")));
            for (int i = 0; i < a.length; i++) a[i] = Math.max(0, a[i]);
        }
        return layer(a, p.get(Mlp.head(head, "weight")), p.get(Mlp.head(head, "bias")));
    }

    private static double[] layer(double[] in, Tensor w, Tensor b) {
        int out = w.dim(1);
        double[] z = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b.data()[o];
            for (int i = 0; i < in.length; i++) s += in[i] * w.data()[i * out + o];
            z[o] = s;
        }
        return z;
    }
}
