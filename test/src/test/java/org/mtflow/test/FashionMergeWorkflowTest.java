package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.dsl.WorkflowScript;
import org.mtflow.engine.node.TableMetric;
import org.mtflow.nodes.BuiltinNodes;

/**
 * samples/fashion-merge.yaml (the flagship study) through the real command on 5 % of the train split
 * for one epoch: a multi-task base, a fine-tune per task, joint training, every merge method, each model
 * scored on every task and normalized by the fine-tunes, and the results table in report.json and on the
 * console; run again as samples/fashion-merge.java, everything comes from the cache.
 */
class FashionMergeWorkflowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SAMPLE = Cli.REPO.resolve("samples/fashion-merge.yaml");
    private static final Path TWIN = Cli.REPO.resolve("samples/fashion-merge.java");
    private static final List<String> TASKS = List.of("tshirt-shirt", "pullover-coat", "sandal-sneaker", "trouser-dress", "bag-boot");
    /** The models of the sample's predict foreach, in order: joint training first, then the base and the merges. */
    private static final int MODELS = 17;

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
        // Joint training sees every task's data: a classifier on each. λ = 0 is the base; task arithmetic at
        // λ = 0.3 must still be a classifier, not noise.
        double joint = tasks.path("metrics[0]").path("metrics").path("accuracy").asDouble();
        assertTrue(joint > 0.55, "joint multi-task training: " + joint);
        double ta = tasks.path("metrics[2]").path("metrics").path("accuracy").asDouble();
        assertTrue(ta > 0.55, "task arithmetic λ 0.3: " + ta);
        String printed = checkTables(tasks);
        assertTrue(r.out().contains(printed), "the tables are printed after the run:\n" + printed + "\n" + r);

        // The Java twin has the same tasks and cache keys: its run finds every result of the YAML file's.
        Cli.Result again = Cli.run("run", TWIN.toString(), "--home", home.toString(), "--run-id", "again",
                "--param", "epochs=1", "--param", "fraction=0.05");
        assertEquals(0, again.exit(), again.toString());
        JsonNode second = JSON.readTree(home.resolve("runs/again/report.json").toFile()).path("tasks");
        assertEquals(tasks.size(), second.size(), second.toString());
        second.fields().forEachRemaining(e -> assertEquals("cached", e.getValue().path("status").asText(), e.getKey() + ": " + e.getValue()));
        assertTrue(again.out().contains(printed), "a cached run prints the tables too:\n" + again);
        Cli.Result status = Cli.run("status", "tiny", "--home", home.toString());
        assertEquals(0, status.exit(), status.toString());
        assertTrue(status.out().endsWith(printed), "mtflow status ends with the run's tables:\n" + status);
    }

    /**
     * The results task's two tables against the figures of the metrics tasks (cell by cell); returns
     * them as the console shows them.
     */
    private static String checkTables(JsonNode tasks) {
        JsonNode results = tasks.path("results").path("metrics");
        TableMetric accuracy = TableMetric.fromJson(results.path("accuracy")), normalized = TableMetric.fromJson(results.path("normalized"));
        assertTrue(accuracy != null && normalized != null, results.toString());
        List<String> columns = new java.util.ArrayList<>(List.of("model"));
        columns.addAll(TASKS);
        columns.add("mean");
        assertEquals(columns, accuracy.columns());
        assertEquals(columns, normalized.columns());
        assertEquals(MODELS + 1, accuracy.rows().size(), "the fine-tunes' row and one per model");
        for (int row = 0; row <= MODELS; row++) {
            double sum = 0, normSum = 0;
            for (int t = 0; t < TASKS.size(); t++) {
                double ref = tasks.path("finetune-metrics[" + t + "]").path("metrics").path("task-accuracy").path(TASKS.get(t)).asDouble();
                double acc = row == 0 ? ref : tasks.path("metrics[" + (row - 1) + "]").path("metrics").path("task-accuracy").path(TASKS.get(t)).asDouble();
                String at = "row " + row + " " + TASKS.get(t);
                assertEquals(acc, (double) accuracy.rows().get(row).get(1 + t), 1e-15, at);
                assertEquals(acc / ref, (double) normalized.rows().get(row).get(1 + t), 1e-15, at);
                sum += acc;
                normSum += acc / ref;
            }
            assertEquals(sum / TASKS.size(), (double) accuracy.rows().get(row).get(TASKS.size() + 1), 1e-15, "row " + row);
            assertEquals(normSum / TASKS.size(), (double) normalized.rows().get(row).get(TASKS.size() + 1), 1e-15, "row " + row);
            if (row > 0) {
                assertEquals(tasks.path("normalized[" + (row - 1) + "]").path("metrics").path("normalized-accuracy").asDouble(),
                        normSum / TASKS.size(), 1e-12, "row " + row + " agrees with eval.normalized");
            }
        }
        assertEquals(List.of("fine-tuned (one per task)", "joint multi-task", "base", "task-arithmetic lambda=0.3"),
                accuracy.rows().subList(0, 4).stream().map(c -> c.get(0)).toList());
        String nl = System.lineSeparator();
        return nl + "results: " + accuracy.title() + nl + accuracy.render().replace("\n", nl)
                + nl + "results: " + normalized.title() + nl + normalized.render().replace("\n", nl);
    }

    @Test
    void theJavaTwinGivesTheSameSpecAsTheYamlFile() throws Exception {
        String epochs = Integer.toString(1 + new java.util.Random().nextInt(9));
        for (Map<String, String> params : List.of(Map.<String, String>of(), Map.of("epochs", epochs, "fraction", "0.05", "base-fraction", "0.2"))) {
            LoadedWorkflow java = WorkflowScript.load(TWIN, params, BuiltinNodes.catalog(), null);
            LoadedWorkflow yaml = WorkflowLoader.load(SAMPLE, params, BuiltinNodes.catalog(), null);
            assertEquals(yaml.spec(), java.spec(), params.toString());
            assertEquals(yaml.resolvedYaml(), java.resolvedYaml(), params.toString());
        }
    }
}
