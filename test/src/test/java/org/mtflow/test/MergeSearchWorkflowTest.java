package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * samples/merge-search.yaml through the real command, small: the search's best is the candidate with
 * the highest mean normalized accuracy its subtasks reported, and the Pareto search's front is the
 * brute-force front of the 5 tasks' accuracies they reported.
 */
class MergeSearchWorkflowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SAMPLE = Cli.REPO.resolve("samples/merge-search.yaml");
    private static final List<String> TASKS = List.of("tshirt-shirt", "pullover-coat", "sandal-sneaker", "trouser-dress", "bag-boot");
    private static final int CANDIDATES = 5;

    @TempDir
    Path home;

    @Test
    void theSearchesFindTheBestAndTheParetoFrontOfWhatTheirCandidatesReported() throws Exception {
        Cli.Result r = Cli.run("run", SAMPLE.toString(), "--home", home.toString(), "--run-id", "small",
                "--param", "fraction=0.05", "--param", "candidates=" + CANDIDATES);
        assertEquals(0, r.exit(), r.toString());
        JsonNode tasks = JSON.readTree(home.resolve("runs/small/report.json").toFile()).path("tasks");

        int best = 0;
        for (int i = 1; i < CANDIDATES; i++) {
            if (normalized(tasks, i) > normalized(tasks, best)) best = i;
        }
        JsonNode search = tasks.path("search").path("metrics");
        assertEquals(CANDIDATES, search.path("candidates").asInt(), search.toString());
        assertEquals(best, search.path("best-index").asInt(), search.toString());
        assertEquals(normalized(tasks, best), search.path("best-score").asDouble(), search.toString());

        List<double[]> acc = new ArrayList<>();
        for (int i = 0; i < CANDIDATES; i++) {
            JsonNode m = tasks.path("pareto/c" + i + ".metrics").path("metrics").path("task-accuracy");
            acc.add(TASKS.stream().mapToDouble(t -> m.path(t).asDouble(Double.NaN)).toArray());
        }
        List<Integer> front = new ArrayList<>();
        for (int i = 0; i < CANDIDATES; i++) {
            boolean dominated = false;
            for (int j = 0; j < CANDIDATES; j++) {
                boolean geq = true, gt = false;
                for (int t = 0; t < TASKS.size(); t++) {
                    geq &= acc.get(j)[t] >= acc.get(i)[t];
                    gt |= acc.get(j)[t] > acc.get(i)[t];
                }
                dominated |= geq && gt;
            }
            if (!dominated) front.add(i);
        }
        List<Integer> got = new ArrayList<>();
        tasks.path("pareto").path("metrics").path("pareto-indexes").forEach(n -> got.add(n.asInt()));
        assertEquals(front, got, tasks.path("pareto").toString());
    }

    private static double normalized(JsonNode tasks, int candidate) {
        return tasks.path("search/c" + candidate + ".norm").path("metrics").path("normalized-accuracy").asDouble(Double.NaN);
    }
}
