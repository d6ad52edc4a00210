package org.mtflow.nodes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Mlp;

class TrainMultitaskNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns(new RuleDatasetNode());

    private NodeRuns.Run train(long seed, String weighting) throws Exception {
        return runs.run(Workflows.named("multitask-" + weighting, seed)
                .task("a", "test.rule-dataset").with("rule", 0).with("seed", seed).with("train", 512).with("test", 200)
                .task("b", "test.rule-dataset").with("rule", 1).with("seed", seed + 1).with("train", 320).with("test", 200)
                .task("m", "train.multitask").inputs("datasets", "a.dataset", "b.dataset")
                // adamw: under sgd with momentum the uncertainty weights 1/L can blow up an easy task (see UncertaintyWeighting)
                .with("hidden", List.of(16)).with("weighting", weighting).with("epochs", 25).with("batch", 32)
                .with("optimizer", "adamw").with("lr", 0.01)
                .build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"equal", "uncertainty", "dwa", "gradnorm", "pcgrad", "cagrad"})
    void learnsBothTasksDeterministically(String weighting) throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = train(seed, weighting);
        assertTrue(run.outcome().ok(), () -> "seed " + seed + ": " + run.report());
        JsonNode m = run.metrics("m");
        Mlp model = Mlp.read(run.artifact("m", "model"));
        assertEquals(Map.of("rule0", 2, "rule1", 2), model.spec().heads());
        double weightSum = 0;
        try (JavaOps ops = new JavaOps(1)) {
            for (String task : List.of("a", "b")) {
                Dataset d = Dataset.read(run.artifact(task, "dataset"));
                String head = d.name();
                double acc = Trainer.accuracy(ops, model, head, d.test());
                assertEquals(acc, m.path("test-accuracy." + head).asDouble(), "reported accuracy is the model's, seed " + seed);
                assertTrue(acc > 0.8, weighting + ": " + head + " accuracy " + acc + " (chance 0.5), seed " + seed + ": " + m);
                weightSum += m.path("weight." + head).asDouble();
            }
        }
        // uncertainty learns free weights; cagrad's coefficients sum to T·(1 + λ)/(1 + c²)
        if (!weighting.equals("uncertainty") && !weighting.equals("cagrad")) assertEquals(2, weightSum, 1e-9, m.toString());

        NodeRuns.Run again = train(seed, weighting);
        assertEquals(run.hash("m", "model"), again.hash("m", "model"), "same seed, same model bits: " + weighting + ", seed " + seed);
    }
}
