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

    /** Fashion-MNIST IDX files of random side×side images and random labels of the 10 classes. */
    private void writeRandomImages(long seed, int train, int test, int side) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        IdxFiles.writeFashionDir(data, IdxFiles.randomImages(rnd, train, side, side), IdxFiles.randomLabels(rnd, train, 10),
                IdxFiles.randomImages(rnd, test, side, side), IdxFiles.randomLabels(rnd, test, 10), true);
    }

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
        writeRandomImages(seed, 150, 60, 4);
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

    @Test
    void finetuneStartsFromTheBaseAndTrainsAsTheTrainerDoes() throws Exception {
        long seed = TestSeeds.next();
        writeRandomImages(seed, 120, 40, 3);
        NodeRuns.Run run = runs.run(Workflows.named("finetune", seed)
                .task("f", "data.fashion-mnist").with("dir", data.toString())
                .task("t", "train.fit").input("dataset", "f.dataset").with("hidden", List.of(8, 6)).with("epochs", 1)
                .task("ft", "train.finetune").input("base", "t.model").input("dataset", "f.dataset")
                .with("optimizer", "adamw").with("epochs", 2).with("seed", 11)
                .build());
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());
        assertEquals("from the base", run.metrics("ft").path("head").asText());
        Mlp base = Mlp.read(run.artifact("t", "model"));
        Mlp tuned = Mlp.read(run.artifact("ft", "model"));
        assertEquals(base.spec(), tuned.spec());
        Dataset dataset = Dataset.read(run.artifact("f", "dataset"));
        try (JavaOps ops = new JavaOps(1)) {
            TrainSettings s = TrainSettings.from("adamw", null, null, null, null, 2, null, null, null, null, null);
            Mlp expected = new Trainer(ops, s, 11).fit(base, "fashion-mnist", dataset.train(), null, null).model();
            TrainerTest.assertSameBits(expected, tuned, "finetune vs the trainer from the base, seed " + seed);
        }
    }
}
