package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * samples/fashion-multitask.yaml through the real command on 5 % of the train split for one epoch:
 * five per-task models and one joint model per weighting, each scored on every task's test examples,
 * and each joint model's normalized accuracy against the per-task models.
 */
class FashionMultitaskWorkflowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SAMPLE = Cli.REPO.resolve("samples/fashion-multitask.yaml");
    private static final List<String> TASKS = List.of("tshirt-shirt", "pullover-coat", "sandal-sneaker", "trouser-dress", "bag-boot");
    private static final List<String> WEIGHTINGS = List.of("equal", "uncertainty", "dwa", "gradnorm", "pcgrad", "cagrad");

    @TempDir
    Path home;

    @Test
    void everyModelIsScoredOnEachTaskAboveChance() throws Exception {
        Cli.Result r = Cli.run("run", SAMPLE.toString(), "--home", home.toString(), "--run-id", "tiny",
                "--param", "epochs=1", "--param", "fraction=0.05");
        assertEquals(0, r.exit(), r.toString());
        JsonNode report = JSON.readTree(home.resolve("runs/tiny/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText(), report.toPrettyString());
        JsonNode tasks = report.path("tasks");
        assertEquals(3 + 4 * TASKS.size() + 4 * WEIGHTINGS.size(), tasks.size(), tasks.fieldNames().toString());

        for (int t = 0; t < TASKS.size(); t++) {
            JsonNode m = tasks.path("single-metrics[" + t + "]").path("metrics");
            // the test split is not subsampled: 1000 test images per class, 2 classes per task
            assertEquals(2000, m.path("examples").asInt(), m.toString());
            double accuracy = m.path("task-accuracy").path(TASKS.get(t)).asDouble(-1);
            assertTrue(accuracy > 0.55, "task " + TASKS.get(t) + " alone: " + accuracy + " (chance 0.5): " + m);
            assertEquals(tasks.path("single[" + t + "]").path("metrics").path("test-accuracy").asDouble(), accuracy,
                    "eval.metrics scores the model train.fit reported on");
        }
        for (int w = 0; w < WEIGHTINGS.size(); w++) {
            JsonNode trained = tasks.path("joint[" + w + "]").path("metrics");
            assertEquals(WEIGHTINGS.get(w), trained.path("weighting").asText(), trained.toString());
            JsonNode m = tasks.path("joint-metrics[" + w + "]").path("metrics");
            assertEquals(10000, m.path("examples").asInt(), m.toString());
            assertEquals(TASKS.size(), m.path("task-accuracy").size(), m.toString());
            JsonNode normalized = tasks.path("normalized[" + w + "]").path("metrics");
            double ratioSum = 0;
            for (int t = 0; t < TASKS.size(); t++) {
                String task = TASKS.get(t);
                double ratio = m.path("task-accuracy").path(task).asDouble()
                        / tasks.path("single-metrics[" + t + "]").path("metrics").path("task-accuracy").path(task).asDouble();
                assertEquals(ratio, normalized.path("task-normalized-accuracy").path(task).asDouble(), 1e-12, normalized.toString());
                ratioSum += ratio;
            }
            assertEquals(ratioSum / TASKS.size(), normalized.path("normalized-accuracy").asDouble(), 1e-12, normalized.toString());
            for (String task : TASKS) {
                double accuracy = m.path("task-accuracy").path(task).asDouble(-1);
                assertTrue(accuracy > 0.55, WEIGHTINGS.get(w) + ", task " + task + ": " + accuracy + " (chance 0.5): " + m);
                assertEquals(trained.path("test-accuracy." + task).asDouble(), accuracy,
                        WEIGHTINGS.get(w) + ": eval.metrics scores " + task + " with the head train.multitask reported on");
            }
        }
    }
}
