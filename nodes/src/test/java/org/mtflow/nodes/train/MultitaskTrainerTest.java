package org.mtflow.nodes.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;
import org.mtflow.nodes.model.Optimizer;

class MultitaskTrainerTest {
    @TempDir Path dir;

    private static final class Killed extends Exception {}

    @ParameterizedTest
    @ValueSource(strings = {"equal", "uncertainty", "dwa", "gradnorm", "pcgrad", "cagrad"})
    void aRunKilledAfterEpochThreeAndResumedEndsBitIdentical(String weighting) throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Dataset.Split> train = List.of(RuleDatasetNode.split(rnd, 70, 0), RuleDatasetNode.split(rnd, 45, 1));
        List<String> heads = List.of("a", "b");
        TrainSettings settings = TrainSettings.from("adamw", 0.01, null, 0.01, 16, 5, "cosine", 1, null, null, null);
        try (JavaOps ops = new JavaOps(1)) {
            Mlp start = Mlp.init(new MlpSpec(RuleDatasetNode.FEATURES, List.of(8, 6), Activation.GELU, Map.of("a", 2, "b", 2)),
                    ops, seed, 1);
            MultitaskTrainer trainer = new MultitaskTrainer(ops, settings, seed);
            MultitaskTrainer.Result whole = trainer.fit(start, heads, train, weighting(weighting, seed), weighting, null, null);

            Path checkpoints = Files.createDirectories(dir.resolve(weighting));
            assertThrows(Killed.class, () -> trainer.fit(start, heads, train, weighting(weighting, seed), weighting, checkpoints,
                    e -> { if (e.epoch() == 3) throw new Killed(); }));
            int[] firstEpoch = {0};
            MultitaskTrainer.Result resumed = trainer.fit(start, heads, train, weighting(weighting, seed), weighting, checkpoints,
                    e -> { if (firstEpoch[0] == 0) firstEpoch[0] = e.epoch(); });
            assertEquals(4, firstEpoch[0], "the resumed run starts at epoch 4, seed " + seed);
            whole.model().parameters().forEach((name, t) -> assertArrayEquals(t.data(),
                    resumed.model().parameters().get(name).data(), 0f, name + ", " + weighting + ", seed " + seed));
            assertArrayEquals(whole.weights(), resumed.weights(), 0, "weights, " + weighting + ", seed " + seed);
            assertArrayEquals(whole.trainLosses(), resumed.trainLosses(), 0, "losses, " + weighting + ", seed " + seed);
        }
    }

    private static TaskWeighting weighting(String token, long seed) {
        return TaskWeighting.of(token, 2, 1.5, 2, 0.4, Optimizer.Kind.ADAMW, 0.9f, seed);
    }
}
