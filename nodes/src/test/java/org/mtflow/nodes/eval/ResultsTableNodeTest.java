package org.mtflow.nodes.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.TableMetric;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** eval.table on metrics artifacts the test writes: every cell against correct / examples worked out here. */
class ResultsTableNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns(new FileNode());

    @TempDir Path dir;

    /** A metrics artifact with, per task, {@code counts[t] = {examples, correct}}. */
    private Path metrics(String name, Map<String, long[]> counts) throws Exception {
        Map<String, Metrics.TaskMetrics> tasks = new LinkedHashMap<>();
        counts.forEach((t, c) -> tasks.put(t, new Metrics.TaskMetrics(c[0], c[1], (double) c[1] / c[0], null, null, new long[0][0])));
        Path file = dir.resolve(name + ".json");
        try (OutputStream out = Files.newOutputStream(file)) { Metrics.of("d", "test", List.of(), tasks).write(out); }
        return file;
    }

    private static long[] counts(SplittableRandom rnd) {
        long examples = 1 + rnd.nextInt(500);
        return new long[] {examples, 1 + rnd.nextLong(examples)}; // at least one right: a reference must be > 0
    }

    /** Tasks r0.., m0.. copying the files in, and 'table' over them. */
    private Workflows.Task workflow(String name, List<Path> refs, List<Path> models, List<String> rows) {
        Workflows.Task w = null;
        Workflows wf = Workflows.named(name, 1);
        String[] refIds = new String[refs.size()], modelIds = new String[models.size()];
        for (int i = 0; i < refs.size(); i++) {
            w = (w == null ? wf.task("r" + i, "test.file") : w.task("r" + i, "test.file")).with("path", refs.get(i).toString());
            refIds[i] = "r" + i + ".file";
        }
        for (int i = 0; i < models.size(); i++) {
            w = w.task("m" + i, "test.file").with("path", models.get(i).toString());
            modelIds[i] = "m" + i + ".file";
        }
        return w.task("table", "eval.table").with("rows", rows).inputs("metrics", modelIds).inputs("references", refIds);
    }

    @Test
    void everyCellIsTheModelsAccuracyAndItsRatioToTheTasksFineTunedModel() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        String msg = "seed=" + seed;
        int k = 2 + rnd.nextInt(4), r = 1 + rnd.nextInt(4);
        List<String> tasks = new ArrayList<>();
        for (int t = 0; t < k; t++) tasks.add("task" + t);
        List<Path> refs = new ArrayList<>(), models = new ArrayList<>();
        double[] ref = new double[k];
        for (int t = 0; t < k; t++) {
            long[] c = counts(rnd);
            ref[t] = (double) c[1] / c[0];
            refs.add(metrics("ref" + t, Map.of(tasks.get(t), c)));
        }
        double[][] acc = new double[r][k];
        List<String> rows = new ArrayList<>();
        for (int m = 0; m < r; m++) {
            List<String> order = new ArrayList<>(tasks);
            Collections.shuffle(order, new java.util.Random(rnd.nextLong())); // a model's metrics may list tasks in any order
            Map<String, long[]> c = new LinkedHashMap<>();
            for (String t : order) {
                long[] x = counts(rnd);
                acc[m][tasks.indexOf(t)] = (double) x[1] / x[0];
                c.put(t, x);
            }
            models.add(metrics("model" + m, c));
            rows.add("model " + m);
        }

        NodeRuns.Run run = runs.run(workflow("table", refs, models, rows).build());
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        JsonNode art = Json.MAPPER.readTree(run.artifact("table", "table").toFile());
        assertEquals(ResultsTable.FORMAT, art.path("format").asText(), msg);
        assertEquals(tasks, Json.MAPPER.convertValue(art.path("tasks"), List.class), msg);
        assertEquals(r + 1, art.path("rows").size(), msg);
        TableMetric accTable = TableMetric.fromJson(run.metrics("table").path("accuracy"));
        TableMetric normTable = TableMetric.fromJson(run.metrics("table").path("normalized"));
        List<String> columns = new ArrayList<>(List.of("model"));
        columns.addAll(tasks);
        columns.add("mean");
        assertEquals(columns, accTable.columns(), msg);
        assertEquals(columns, normTable.columns(), msg);
        for (int row = 0; row <= r; row++) {
            double[] a = row == 0 ? ref : acc[row - 1];
            String label = row == 0 ? "fine-tuned (one per task)" : rows.get(row - 1);
            JsonNode got = art.path("rows").path(row);
            String rmsg = msg + " row " + label;
            assertEquals(label, got.path("label").asText(), rmsg);
            assertEquals(label, accTable.rows().get(row).get(0), rmsg);
            assertEquals(label, normTable.rows().get(row).get(0), rmsg);
            double sum = 0, normSum = 0;
            for (int t = 0; t < k; t++) {
                double norm = a[t] / ref[t];
                String tmsg = rmsg + " task " + tasks.get(t);
                assertEquals(a[t], got.path("accuracy").path(tasks.get(t)).asDouble(), 1e-15, tmsg);
                assertEquals(norm, got.path("normalized").path(tasks.get(t)).asDouble(), 1e-15, tmsg);
                assertEquals(a[t], (double) accTable.rows().get(row).get(1 + t), 1e-15, tmsg);
                assertEquals(norm, (double) normTable.rows().get(row).get(1 + t), 1e-15, tmsg);
                sum += a[t];
                normSum += norm;
            }
            if (row == 0) assertEquals(k, normSum, 1e-15, rmsg + ": the references over themselves are 1");
            assertEquals(sum / k, got.path("mean-accuracy").asDouble(), 1e-15, rmsg);
            assertEquals(normSum / k, got.path("mean-normalized").asDouble(), 1e-15, rmsg);
            assertEquals(sum / k, (double) accTable.rows().get(row).get(k + 1), 1e-15, rmsg);
            assertEquals(normSum / k, (double) normTable.rows().get(row).get(k + 1), 1e-15, rmsg);
        }

        // The same inputs give the same bytes.
        NodeRuns.Run again = runs.run(workflow("again", refs, models, rows).build(), false);
        assertEquals(run.hash("table", "table"), again.hash("table", "table"), msg);
    }

    @Test
    void rowsThatDoNotMatchTheInputsOrTheTasksFailNamingTheRowAndTheFix() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Path> refs = List.of(metrics("ra", Map.of("a", counts(rnd))), metrics("rb", Map.of("b", counts(rnd))));
        Path both = metrics("both", Map.of("a", counts(rnd), "b", counts(rnd)));
        Path onlyA = metrics("only-a", Map.of("a", counts(rnd)));
        Path extra = metrics("extra", Map.of("a", counts(rnd), "b", counts(rnd), "c", counts(rnd)));

        NodeRuns.Run count = runs.run(workflow("count", refs, List.of(both, both), List.of("x")).build());
        assertEquals("failed", count.status("table"), count.report().toString());
        assertTrue(count.task("table").path("error").asText().contains("rows has 1 labels for 2 metrics inputs: give one label per metrics input"),
                count.task("table").toString());

        NodeRuns.Run missing = runs.run(workflow("missing", refs, List.of(both, onlyA), List.of("x", "y")).build());
        assertEquals("failed", missing.status("table"), missing.report().toString());
        assertTrue(missing.task("table").path("error").asText().contains("row 'y' has no accuracy for task(s) [b] (its metrics cover [a])"),
                missing.task("table").toString());

        NodeRuns.Run unknown = runs.run(workflow("unknown", refs, List.of(extra), List.of("z")).build());
        assertEquals("failed", unknown.status("table"), unknown.report().toString());
        assertTrue(unknown.task("table").path("error").asText().contains("row 'z': no reference accuracy for task 'c'; references cover [a, b]"),
                unknown.task("table").toString());

        NodeRuns.Run clash = runs.run(workflow("clash", refs, List.of(both), List.of("fine-tuned (one per task)")).build());
        assertEquals("failed", clash.status("table"), clash.report().toString());
        assertTrue(clash.task("table").path("error").asText().contains("is the references' row too"), clash.task("table").toString());

        Path notMetrics = dir.resolve("not-metrics.json");
        Files.writeString(notMetrics, "{\"format\": \"mtflow.normalized-accuracy/1\", \"tasks\": {}}");
        NodeRuns.Run wrong = runs.run(workflow("wrong", refs, List.of(both, notMetrics), List.of("x", "y")).build());
        assertEquals("failed", wrong.status("table"), wrong.report().toString());
        String error = wrong.task("table").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains("not a metrics artifact (format is mtflow.normalized-accuracy/1"), error);

        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> new ResultsTableNode.Params(List.of("x", "y", "x"), null));
        assertEquals("rows[2] 'x' is rows[0] too: give every row its own label", twice.getMessage());
    }
}
