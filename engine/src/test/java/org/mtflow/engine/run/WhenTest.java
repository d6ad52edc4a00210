package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.Devices;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/** Tasks with a {@code when:} condition: run if it is true, skipped with the reason if not, failed if it cannot be decided. */
class WhenTest {
    @TempDir
    Path home;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    /**
     * {@code eval} reports a random score; {@code low} runs only below a random threshold, {@code high}
     * only at or above it; {@code after-low} needs {@code low}; {@code pick} needs one of the two.
     */
    private static WorkflowSpec branches(double score, double threshold, boolean cache) {
        String s = "${tasks.eval.metrics.score}";
        return workflow("when", 7,
                task("eval", "test.metrics").with("score", score).with("label", "v1").cache(cache).build(),
                task("low", "test.metrics").when(s + " < " + threshold).cache(cache).build(),
                task("high", "test.metrics").when(s + " >= " + threshold + " and ${tasks.eval.metrics.label} == 'v1'")
                        .cache(cache).build(),
                task("after-low", "test.metrics").input("x", "low.out").cache(cache).build(),
                task("pick", "test.toggle").inputs("x", 1, "low.out", "high.out").cache(cache).build());
    }

    @Test
    void theConditionDecidesWhichBranchRunsAndTheOtherIsSkippedWithItsReason() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        try (Engine e = Runs.engine(home, Devices.jvmDevice(2))) {
            for (int round = 0; round < 6; round++) {
                TestNodes.reset();
                double score = random.nextInt(1000) / 1000.0;
                // Sometimes exactly the score: >= must then hold and < must not.
                double threshold = round % 3 == 0 ? score : random.nextInt(1000) / 1000.0;
                boolean low = score < threshold;
                String why = "seed " + seed + ", score " + score + ", threshold " + threshold;
                Runs.Result r = Runs.run(e, branches(score, threshold, false), "r" + round);

                assertEquals("succeeded", r.outcome().status(), why + ": a false condition is no failure");
                String taken = low ? "low" : "high", other = low ? "high" : "low";
                List<String> ran = low ? List.of("eval", "low", "after-low") : List.of("eval", "high");
                assertEquals(ran, TestNodes.Metrics.RAN, why); // each after the tasks it waits for
                assertTrue(r.all(RunEvent.TaskSucceeded.class, taken).size() == 1, why);
                assertTrue(r.all(RunEvent.TaskSucceeded.class, "pick").size() == 1, why + ": min-success 1 still runs");

                RunEvent.TaskSkipped skipped = r.all(RunEvent.TaskSkipped.class, other).get(0);
                String value = Json.MAPPER.valueToTree(score).toString();
                String expected = low
                        ? "when: ${tasks.eval.metrics.score} >= " + threshold + " and ${tasks.eval.metrics.label} == 'v1'"
                                + " was false (tasks.eval.metrics.score = " + value + ")"
                        : "when: ${tasks.eval.metrics.score} < " + threshold + " was false (tasks.eval.metrics.score = "
                                + value + ")";
                assertEquals(expected, skipped.reason(), why);
                assertEquals(low ? 1 : 2, r.outcome().skipped(), why);
                if (!low) {
                    RunEvent.TaskSkipped dependent = r.all(RunEvent.TaskSkipped.class, "after-low").get(0);
                    assertEquals("low", dependent.cause(), why);
                    assertTrue(dependent.reason().contains("upstream task 'low' was skipped"), dependent.reason());
                }
                assertEquals("skipped", r.report().get("tasks").get(other).get("status").asText(), why);
                assertEquals(expected, r.report().get("tasks").get(other).get("reason").asText(), why);
            }
        }
    }

    @Test
    void aConditionThatCannotBeDecidedFailsItsTaskNotTheRun() throws Exception {
        WorkflowSpec spec = workflow("bad-when", 1,
                task("eval", "test.metrics").with("score", 0.5).with("label", "v1").build(),
                task("typed", "test.metrics").when("${tasks.eval.metrics.label} > 1").build(),
                task("missing", "test.metrics").when("${tasks.eval.metrics.acuracy} > 0.9").build(),
                task("not-bool", "test.metrics").when("${tasks.eval.metrics.score}").build(),
                task("after", "test.metrics").input("x", "typed.out").build(),
                task("independent", "test.metrics").with("score", 1.0).build());
        try (Engine e = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result r = Runs.run(e, spec, "bad");
            assertEquals("failed", r.outcome().status());
            assertEquals(3, r.outcome().failed());
            assertEquals(List.of("eval", "independent"), TestNodes.Metrics.RAN.stream().sorted().toList());
            Map<String, String> messages = Map.of(
                    "typed", "when: ${tasks.eval.metrics.label} > 1 cannot be decided: cannot compare the text 'v1' > the number 1"
                            + " (only numbers with numbers, text with text)",
                    "missing", "when: ${tasks.eval.metrics.acuracy} > 0.9 cannot be decided: task 'eval' has no metric 'acuracy'",
                    "not-bool", "when: ${tasks.eval.metrics.score} cannot be decided: the expression must be true or false,"
                            + " but it is the number 0.5");
            messages.forEach((task, message) -> {
                List<RunEvent.TaskFailed> failed = r.all(RunEvent.TaskFailed.class, task);
                assertEquals(1, failed.size(), task);
                assertEquals(message, failed.get(0).message(), task);
                assertEquals("permanent", failed.get(0).error(), task);
                assertTrue(failed.get(0).last(), task);
            });
            assertEquals("typed", r.all(RunEvent.TaskSkipped.class, "after").get(0).cause());
        }
    }

    @Test
    void aConditionMayReadTheStatusOfATaskThatFailed() throws Exception {
        WorkflowSpec spec = workflow("status", 1,
                task("train", "test.fail").build(),
                task("alert", "test.metrics").when("${tasks.train.status} == 'failed'").build(),
                task("ship", "test.metrics").when("${tasks.train.status} == 'succeeded'").build(),
                task("report", "test.metrics").when("not (${tasks.train.metrics.score} > 0)").build());
        try (Engine e = Runs.engine(home, Devices.jvmDevice(2))) {
            Runs.Result r = Runs.run(e, spec, "st");
            assertEquals("failed", r.outcome().status(), "train failed");
            assertEquals(List.of("alert"), TestNodes.Metrics.RAN);
            assertTrue(r.all(RunEvent.TaskSkipped.class, "ship").get(0).reason()
                    .endsWith("was false (tasks.train.status = \"failed\")"));
            RunEvent.TaskSkipped report = r.all(RunEvent.TaskSkipped.class, "report").get(0);
            assertEquals("train", report.cause(), "its metrics never came: skipped as for a failed input");
            assertEquals("upstream task 'train' failed", report.reason());
        }
    }

    @Test
    void aResumedRunDecidesTheSameFromTheJournaledMetrics() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        double score = random.nextInt(1000) / 1000.0, threshold = random.nextInt(1000) / 1000.0;
        boolean low = score < threshold;
        String why = "seed " + seed + ", score " + score + ", threshold " + threshold;
        EngineSettings durable = new EngineSettings(Map.of(), EngineSettings.Journal.DURABLE);
        TestNodes.Toggle.BROKEN.set(true);
        Runs.Result first;
        try (Engine e = new Engine(home, TestNodes.catalog(), List.of(Devices.jvmDevice(2)), durable)) {
            first = Runs.run(e, branches(score, threshold, false), "resumed");
            assertEquals("failed", first.outcome().status(), why + ": pick is broken");
        }
        TestNodes.Toggle.BROKEN.set(false);
        TestNodes.Metrics.RAN.clear();
        try (Engine e = new Engine(home, TestNodes.catalog(), List.of(Devices.jvmDevice(2)), durable)) {
            Runs.Result second = Runs.run(e, branches(score, threshold, false), "resumed");
            assertTrue(second.outcome().ok(), why + ": " + second.outcome());
            assertEquals(List.of(), TestNodes.Metrics.RAN, why + ": what ran is recovered, the rest decided the same");
            List<String> recovered = second.all(RunEvent.TaskRecovered.class).stream().map(RunEvent.TaskRecovered::task).sorted().toList();
            assertEquals(low ? List.of("after-low", "eval", "low") : List.of("eval", "high"), recovered, why);
            String other = low ? "high" : "low";
            assertEquals(first.all(RunEvent.TaskSkipped.class, other).get(0).reason(),
                    second.all(RunEvent.TaskSkipped.class, other).get(0).reason(), why);
            assertEquals(1, second.all(RunEvent.TaskSucceeded.class, "pick").size(), why);
            assertFalse(second.all(RunEvent.TaskSkipped.class).stream().anyMatch(s -> s.task().equals("pick")), why);
        }
    }
}
