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
 * samples/fashion-merge.yaml (the flagship study) through the real command on 5 % of the train split
 * for one epoch: a multi-task base, a fine-tune per task, every merge method, each model scored on every
 * task and normalized by the fine-tunes; run again, everything comes from the cache.
 */
class FashionMergeWorkflowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SAMPLE = Cli.REPO.resolve("samples/fashion-merge.yaml");
    private static final List<String> TASKS = List.of("tshirt-shirt", "pullover-coat", "sandal-sneaker", "trouser-dress", "bag-boot");
    /** The models of the sample's predict foreach, in order. */
    private static final int MODELS = 16;

    @TempDir
    Path home;

    @Test
    void everyMergedModelIsScoredOnEveryTaskAndASecondRunIsCached() throws Exception {
        Cli.Result r = Cli.run("run", SAMPLE.toString(), "--home", home.toString(), "--run-id", "tiny",
                "--param", "epochs=1", "--param", "fraction=0.05");
        assertEquals(0, r.exit(), r.toString());
        JsonNode report = JSON.readTree(home.resolve("runs/tiny/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText(), report.toPrettyString());
        JsonNode tasks = report.path("tasks");

        for (int t = 0; t < TASKS.size(); t++) {
            JsonNode m = tasks.path("finetune-metrics[" + t + "]").path("metrics");
            assertEquals(2000, m.path("examples").asInt(), m.toString());
            double accuracy = m.path("task-accuracy").path(TASKS.get(t)).asDouble(-1);
            assertTrue(accuracy > 0.55, "the fine-tune of " + TASKS.get(t) + ": " + accuracy + " (chance 0.5): " + m);
            assertEquals(tasks.path("finetune[" + t + "]").path("metrics").path("test-accuracy").asDouble(), accuracy,
                    "model.predict picks the head named after the task's dataset");
        }
        for (int k = 0; k < MODELS; k++) {
            JsonNode m = tasks.path("metrics[" + k + "]").path("metrics");
            assertEquals(10000, m.path("examples").asInt(), "model " + k + ": " + m);
            assertEquals(TASKS.size(), m.path("task-accuracy").size(), "model " + k + " has every task's head: " + m);
            JsonNode normalized = tasks.path("normalized[" + k + "]").path("metrics");
            double ratioSum = 0;
            for (int t = 0; t < TASKS.size(); t++) {
                String task = TASKS.get(t);
                double accuracy = m.path("task-accuracy").path(task).asDouble(-1);
                assertTrue(accuracy >= 0 && accuracy <= 1, "model " + k + ", " + task + ": " + accuracy);
                double ratio = accuracy / tasks.path("finetune-metrics[" + t + "]").path("metrics").path("task-accuracy").path(task).asDouble();
                assertEquals(ratio, normalized.path("task-normalized-accuracy").path(task).asDouble(), 1e-12, normalized.toString());
                ratioSum += ratio;
            }
            assertEquals(ratioSum / TASKS.size(), normalized.path("normalized-accuracy").asDouble(), 1e-12, normalized.toString());
        }
        // λ = 0 is the base; task arithmetic at λ = 0.3 must still be a classifier, not noise
        double ta = tasks.path("metrics[1]").path("metrics").path("accuracy").asDouble();
        assertTrue(ta > 0.55, "task arithmetic λ 0.3: " + ta);

        Cli.Result again = Cli.run("run", SAMPLE.toString(), "--home", home.toString(), "--run-id", "again",
                "--param", "epochs=1", "--param", "fraction=0.05");
        assertEquals(0, again.exit(), again.toString());
        JsonNode second = JSON.readTree(home.resolve("runs/again/report.json").toFile()).path("tasks");
        second.fields().forEachRemaining(e -> assertEquals("cached", e.getValue().path("status").asText(), e.getKey() + ": " + e.getValue()));
    }
}
