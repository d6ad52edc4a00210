package org.mtflow.nodes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.data.IdxFiles;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;

class TrainFitNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path data;

    private NodeRuns.Run fit(long seed) throws Exception {
        return runs.run(Workflows.named("fit", seed)
                .task("f", "data.fashion-mnist").with("dir", data.toString())
                .task("t", "train.fit").input("dataset", "f.dataset")
                .with("hidden", List.of(12)).with("activation", "gelu").with("optimizer", "adamw")
                .with("epochs", 3).with("batch", 16).with("schedule", "cosine").with("warmup-epochs", 1)
                .with("patience", 5)
                .build());
    }

    @Test
    void trainsAModelOtherToolsCanReadAndReportsItsFigures() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        IdxFiles.writeFashionDir(data, IdxFiles.randomImages(rnd, 150, 4, 4), IdxFiles.randomLabels(rnd, 150, 10),
                IdxFiles.randomImages(rnd, 60, 4, 4), IdxFiles.randomLabels(rnd, 60, 10), true);
        NodeRuns.Run run = fit(seed);
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());
        JsonNode m = run.metrics("t");
        assertEquals(3, m.path("epochs-run").asInt(), m.toString());
        assertEquals(0, m.path("resumed-at-epoch").asInt(), m.toString());
        assertTrue(m.path("train-loss").isNumber() && m.path("validation-loss").isNumber(), m.toString());
        // progress is rate-limited to one event per 200 ms, but the first epoch's and the last's (fraction 1) get through
        List<String> progress = run.events("TaskProgress", "t").stream().map(e -> e.path("message").asText()).toList();
        assertTrue(progress.size() >= 2 && progress.get(0).startsWith("epoch 1/3: train loss ")
                && progress.get(progress.size() - 1).startsWith("epoch 3/3: train loss "), progress.toString());

        Mlp model = Mlp.read(run.artifact("t", "model"));
        assertEquals(List.of(16, 12), model.spec().trunkSizes());
        assertEquals(Activation.GELU, model.spec().activation());
        assertEquals(10, model.spec().heads().get("fashion-mnist"));
        Dataset dataset = Dataset.read(run.artifact("f", "dataset"));
        try (JavaOps ops = new JavaOps(1)) {
            assertEquals(Trainer.accuracy(ops, model, "fashion-mnist", dataset.test()), m.path("test-accuracy").asDouble(),
                    "the reported accuracy is the model's, seed " + seed);
        }

        NodeRuns.Run again = fit(seed);
        assertEquals(run.hash("t", "model"), again.hash("t", "model"), "same seed, same model bits");
    }
}
