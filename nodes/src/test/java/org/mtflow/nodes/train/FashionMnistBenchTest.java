package org.mtflow.nodes.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.Workflows;

/**
 * The training figure of the README: a 784-512-256-10 ReLU MLP on all of Fashion-MNIST on the JVM
 * backend, which must reach 89 % test accuracy. Minutes long, so only with {@code -Dmtflow.bench=true}
 * ({@code -Dmtflow.bench.epochs=N} to change the epoch count, default 15).
 */
@EnabledIfSystemProperty(named = "mtflow.bench", matches = "true")
class FashionMnistBenchTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @Test
    void mlpReaches89PercentOnFashionMnist() throws Exception {
        int epochs = Integer.getInteger("mtflow.bench.epochs", 15);
        NodeRuns.Run run = runs.run(Workflows.named("bench", 7)
                .task("f", "data.fashion-mnist")
                .task("t", "train.fit").input("dataset", "f.dataset")
                .with("hidden", List.of(512, 256)).with("optimizer", "sgd").with("lr", 0.05).with("momentum", 0.9)
                .with("batch", 128).with("epochs", epochs).with("schedule", "cosine").with("warmup-epochs", 1)
                .timeout(java.time.Duration.ofHours(2))
                .build(), false, 7200);
        assertTrue(run.outcome().ok(), () -> run.report().toString());
        JsonNode m = run.metrics("t");
        System.out.printf("fashion-mnist 784-512-256-10 relu, sgd 0.05 m0.9 cosine, batch 128, %d epochs on %s: "
                        + "test accuracy %.4f, train loss %.4f, %d samples/s%n", epochs, m.path("backend").asText(),
                m.path("test-accuracy").asDouble(), m.path("train-loss").asDouble(), m.path("samples-per-second").asLong());
        assertTrue(m.path("test-accuracy").asDouble() >= 0.89, m.toString());
    }
}
