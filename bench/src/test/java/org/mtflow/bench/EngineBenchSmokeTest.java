package org.mtflow.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * Runs {@link EngineBench} small and in-process, so the harness cannot rot: the shapes are what they
 * claim, every configuration runs to success with a latency per task, and the figures parse.
 */
class EngineBenchSmokeTest {

    private static Map<String, List<String>> producers(WorkflowSpec spec) {
        Map<String, List<String>> in = new HashMap<>();
        for (TaskSpec t : spec.tasks()) {
            InputBinding x = t.inputs().get("x");
            in.put(t.id(), x == null ? List.of() : x.refs().stream().map(OutputRef::task).toList());
        }
        return in;
    }

    @Test
    void shapesAreAChainAFanOutFanInAndASeededDagOfOutDegreeAtMostFour() {
        int n = 500;
        Map<String, List<String>> chain = producers(EngineBench.build("chain", n, 1));
        assertEquals(List.of(), chain.get("t0"));
        for (int i = 1; i < n; i++) assertEquals(List.of("t" + (i - 1)), chain.get("t" + i));

        Map<String, List<String>> fan = producers(EngineBench.build("fanout", n, 1));
        for (int i = 1; i < n - 1; i++) assertEquals(List.of("t0"), fan.get("t" + i));
        assertEquals(n - 2, fan.get("t" + (n - 1)).size(), "the join takes every middle as one list input");

        WorkflowSpec dag = EngineBench.build("dag", n, 7);
        assertEquals(dag, EngineBench.build("dag", n, 7), "seeded: the same graph every time");
        Map<String, Integer> outDegree = new HashMap<>();
        producers(dag).forEach((task, from) -> {
            int me = Integer.parseInt(task.substring(1));
            for (String p : from) {
                assertTrue(Integer.parseInt(p.substring(1)) < me, "edges go forward: " + p + " -> " + task);
                outDegree.merge(p, 1, Integer::sum);
            }
        });
        assertTrue(outDegree.values().stream().allMatch(d -> d >= 1 && d <= 4), "out-degree 1..4: " + outDegree);
        assertEquals(n - 1, outDegree.size(), "every task but the last feeds another");
    }

    @Test
    void aSmallRunOfEveryShapeAndJournalSucceedsAndPrintsItsFigures(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("engine.csv");
        EngineBench.Options o = EngineBench.Options.parse("--tasks", "300", "--warmup-tasks", "100", "--heap-tasks", "3000",
                "--csv", csv.toString(), "--dir", dir.resolve("homes").toString());
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int bad = EngineBench.run(o, new PrintStream(text, true, UTF_8));
        String out = text.toString(UTF_8);
        System.out.print(out);
        assertEquals(0, bad, out);

        List<String> lines = Files.readAllLines(csv);
        List<String[]> runs = lines.stream().skip(1).map(l -> l.split(",", -1)).filter(r -> r[0].equals("throughput")).toList();
        assertEquals(6, runs.size(), "one measured run per shape and journal:\n" + String.join("\n", lines));
        for (String shape : List.of("chain", "fanout", "dag")) {
            for (String journal : List.of("off", "durable")) {
                assertEquals(1, runs.stream().filter(r -> r[1].equals(shape) && r[2].equals(journal)).count(), shape + " " + journal);
            }
        }
        for (String[] r : runs) {
            assertEquals("300", r[3]);
            assertEquals("succeeded", r[4], String.join(",", r));
            for (int c : new int[] {5, 6, 8, 9}) assertTrue(Double.parseDouble(r[c]) > 0, "column " + c + ": " + String.join(",", r));
            assertTrue(Double.parseDouble(r[8]) <= Double.parseDouble(r[9]), "p50 <= p99");
        }
        String[] heap = lines.stream().map(l -> l.split(",", -1)).filter(r -> r[0].equals("heap")).findFirst().orElseThrow();
        assertEquals("3000", heap[3]);
        assertEquals("succeeded", heap[4]);
        assertTrue(Double.parseDouble(heap[13]) > 0, "spec bytes per task: " + String.join(",", heap));
        // Heap differences on a 3000-task graph: GC noise may dominate their sign (the report state
        // came out at -63 B/task once); the bench's 1M-task default is where they mean something.
        for (int c : new int[] {14, 15, 16}) Double.parseDouble(heap[c]);
        try (var homes = Files.list(dir.resolve("homes"))) {
            assertEquals(0, homes.count(), "every run's home is deleted after it");
        }
    }
}
