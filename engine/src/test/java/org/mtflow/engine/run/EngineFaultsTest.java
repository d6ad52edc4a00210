package org.mtflow.engine.run;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.retry;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.Devices;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/** Retries, permanent failures, timeouts and cancellation. One engine serves the class: runs are isolated by id. */
class EngineFaultsTest {
    @TempDir
    static Path home;
    static Engine engine;
    private static int runs;

    @BeforeAll
    static void start() throws Exception {
        engine = Runs.engine(home, Devices.jvmDevice(2));
    }

    @AfterAll
    static void stop() {
        if (engine != null) engine.close();
    }

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    private static Runs.Result run(org.mtflow.engine.spec.WorkflowSpec spec) throws Exception {
        // Caching off: each test counts invocations from zero.
        return Runs.run(engine, spec, "faults-" + (++runs), false, 0);
    }

    @Test
    void transientFailuresAreRetriedUntilTheTaskSucceeds() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("f", "test.flaky").with("failures", 2).retry(retry(3, 20)).build(),
                task("after", "test.flaky").inputs("x", "f.out").build()));
        assertTrue(r.outcome().ok(), r.outcome().toString());
        assertEquals(4, TestNodes.Flaky.INVOCATIONS.get(), "3 attempts of f, 1 of after");

        List<RunEvent.TaskFailed> failed = r.all(RunEvent.TaskFailed.class, "f");
        assertEquals(List.of(1, 2), failed.stream().map(RunEvent.TaskFailed::attempt).toList());
        assertTrue(failed.stream().allMatch(f -> f.error().equals("transient") && !f.last()), failed.toString());
        assertEquals("planned failure 1", failed.get(0).message());
        List<RunEvent.TaskRetrying> retrying = r.all(RunEvent.TaskRetrying.class, "f");
        assertEquals(List.of(2, 3), retrying.stream().map(RunEvent.TaskRetrying::nextAttempt).toList());
        assertEquals(List.of(20L, 40L), retrying.stream().map(RunEvent.TaskRetrying::delayMillis).toList(),
                "exponential backoff without jitter");
        assertEquals(List.of(1, 2, 3), r.all(RunEvent.TaskStarted.class, "f").stream().map(RunEvent.TaskStarted::attempt).toList());
        assertEquals(3, r.all(RunEvent.TaskSucceeded.class, "f").get(0).attempt());

        JsonNode f = r.report().get("tasks").get("f");
        assertEquals("succeeded", f.get("status").asText());
        assertEquals(3, f.get("attempts").asInt());
        assertFalse(f.has("error"), f.toString());
    }

    @Test
    void aRetryWaitsForItsBackoff() throws Exception {
        Runs.Result r = run(workflow("w", 1, task("f", "test.flaky").with("failures", 1).retry(retry(2, 300)).build()));
        assertTrue(r.outcome().ok());
        RunEvent.TaskFailed failed = r.all(RunEvent.TaskFailed.class, "f").get(0);
        RunEvent.TaskStarted second = r.all(RunEvent.TaskStarted.class, "f").get(1);
        Duration waited = Duration.between(failed.time(), second.time());
        assertTrue(waited.toMillis() >= 290, "attempt 2 started " + waited + " after attempt 1 failed");
    }

    @Test
    void jitterStretchesEachBackoffWithinItsBound() throws Exception {
        RetryPolicy policy = new RetryPolicy(4, Duration.ofMillis(20), Duration.ofMinutes(1), 0.5, List.of(ErrorClass.ANY));
        Runs.Result r = run(workflow("w", 1, task("f", "test.flaky").with("failures", 3).retry(policy).build()));
        assertTrue(r.outcome().ok(), r.outcome().toString());
        List<Long> delays = r.all(RunEvent.TaskRetrying.class, "f").stream().map(RunEvent.TaskRetrying::delayMillis).toList();
        assertEquals(3, delays.size());
        for (int i = 0; i < 3; i++) {
            long base = 20L << i;
            long d = delays.get(i);
            assertTrue(d >= base && d <= base + base / 2, "delay " + i + " = " + d + ", base " + base);
        }
    }

    @Test
    void retriesStopAtTheAttemptLimitAndTheRunFails() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("f", "test.flaky").with("failures", 10).retry(retry(3, 1)).build(),
                task("after", "test.flaky").inputs("x", "f.out").build()));
        assertEquals(new RunOutcome(r.outcome().runId(), "failed", 0, 0, 1, 1, r.outcome().millis()), r.outcome());
        assertEquals(3, TestNodes.Flaky.INVOCATIONS.get(), "exactly retry.attempts attempts, and 'after' never ran");
        List<RunEvent.TaskFailed> failed = r.all(RunEvent.TaskFailed.class, "f");
        assertEquals(List.of(false, false, true), failed.stream().map(RunEvent.TaskFailed::last).toList());
        assertEquals(2, r.all(RunEvent.TaskRetrying.class, "f").size());
        JsonNode f = r.report().get("tasks").get("f");
        assertEquals("failed", f.get("status").asText());
        assertEquals(3, f.get("attempts").asInt());
        assertEquals("transient: planned failure 3", f.get("error").asText());
    }

    @Test
    void crashesOfUnknownKindAreRetriedAsTransient() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("f", "test.flaky").with("failures", 1).with("crash", true).retry(retry(2, 1)).build()));
        assertTrue(r.outcome().ok(), r.outcome().toString());
        RunEvent.TaskFailed failed = r.all(RunEvent.TaskFailed.class, "f").get(0);
        assertEquals("transient", failed.error());
        assertTrue(failed.message().contains("IllegalStateException: crash 1"), failed.message());
    }

    @Test
    void aMalformedInputFileIsAPermanentError() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("f", "test.flaky").with("failures", 1).with("bad-file", true).retry(retry(3, 1)).build()));
        assertFalse(r.outcome().ok(), r.outcome().toString());
        RunEvent.TaskFailed failed = r.all(RunEvent.TaskFailed.class, "f").get(0);
        assertEquals("permanent", failed.error());
        assertTrue(failed.last() && failed.message().contains("truncated"), failed.toString());
        assertEquals(1, r.all(RunEvent.TaskFailed.class, "f").size(), "never retried");
    }

    @Test
    void onlyTheListedErrorClassesAreRetried() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("f", "test.flaky").with("failures", 1).retry(retry(3, 1, ErrorClass.TIMEOUT, ErrorClass.OOM)).build()));
        assertEquals("failed", r.outcome().status());
        assertEquals(1, TestNodes.Flaky.INVOCATIONS.get());
        assertTrue(r.all(RunEvent.TaskRetrying.class).isEmpty());
        assertTrue(r.all(RunEvent.TaskFailed.class, "f").get(0).last());
    }

    @Test
    void aPermanentFailureIsNotRetriedAndItsDependentsAreSkipped() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("bad", "test.fail").retry(retry(5, 1)).build(),
                task("child", "test.flaky").inputs("x", "bad.out").build(),
                task("grandchild", "test.flaky").inputs("x", "child.out").build(),
                task("independent", "test.flaky").build(),
                task("join", "test.flaky").inputs("x", "independent.out", "grandchild.out").build()));
        assertEquals("failed", r.outcome().status());
        assertEquals(1, r.outcome().succeeded());
        assertEquals(1, r.outcome().failed());
        assertEquals(3, r.outcome().skipped());
        assertEquals(1, TestNodes.Fail.INVOCATIONS.get(), "a permanent error is never retried");
        assertEquals(1, TestNodes.Flaky.INVOCATIONS.get(), "only the independent task ran");

        RunEvent.TaskFailed failed = r.all(RunEvent.TaskFailed.class, "bad").get(0);
        assertEquals("permanent", failed.error());
        assertEquals("broken on purpose", failed.message());
        assertTrue(failed.last());
        assertTrue(r.all(RunEvent.TaskRetrying.class).isEmpty());
        for (String skipped : List.of("child", "grandchild", "join")) {
            RunEvent.TaskSkipped s = r.all(RunEvent.TaskSkipped.class, skipped).get(0);
            assertEquals("bad", s.cause(), skipped);
            assertTrue(r.all(RunEvent.TaskStarted.class, skipped).isEmpty(), skipped);
        }

        JsonNode report = r.report();
        assertEquals("failed", report.get("status").asText());
        JsonNode tasks = report.get("tasks");
        assertEquals("failed", tasks.get("bad").get("status").asText());
        assertEquals("permanent: broken on purpose", tasks.get("bad").get("error").asText());
        assertEquals(1, tasks.get("bad").get("attempts").asInt());
        assertEquals("succeeded", tasks.get("independent").get("status").asText());
        for (String skipped : List.of("child", "grandchild", "join")) {
            assertEquals("skipped", tasks.get(skipped).get("status").asText(), skipped);
            assertEquals("upstream task 'bad' failed", tasks.get(skipped).get("reason").asText(), skipped);
            assertEquals(0, tasks.get(skipped).get("attempts").asInt(), skipped);
        }
        RunEvent.RunFinished finished = r.all(RunEvent.RunFinished.class).get(0);
        assertEquals("failed", finished.status());
        assertEquals(3, finished.skipped());
    }

    @Test
    void aNodeThatForgetsAnOutputFailsPermanently() throws Exception {
        Runs.Result r = run(workflow("w", 1, task("a", "test.forgetful").retry(retry(3, 1)).build()));
        RunEvent.TaskFailed f = r.all(RunEvent.TaskFailed.class, "a").get(0);
        assertEquals("permanent", f.error());
        assertEquals("test.forgetful finished without writing its output 'out'", f.message());
        assertEquals(1, r.all(RunEvent.TaskFailed.class, "a").size());
    }

    @Test
    void aNodeWritingAnUndeclaredOutputFailsPermanently() throws Exception {
        Runs.Result r = run(workflow("w", 1, task("a", "test.rogue").retry(retry(3, 1)).build()));
        RunEvent.TaskFailed f = r.all(RunEvent.TaskFailed.class, "a").get(0);
        assertEquals("permanent", f.error());
        assertTrue(f.message().contains("output 'other' is not declared by test.rogue"), f.message());
        assertEquals(1, r.all(RunEvent.TaskFailed.class, "a").size());
    }

    @Test
    void anAttemptPastItsTimeoutFailsWithTheTimeoutClassAndIsInterrupted() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("slow", "test.sleep").with("millis", 60_000).timeout(Duration.ofMillis(300)).build(),
                task("after", "test.flaky").inputs("x", "slow.out").build()));
        assertEquals("failed", r.outcome().status());
        assertTrue(r.outcome().millis() < 20_000, "the run did not wait for the node: " + r.outcome());
        RunEvent.TaskFailed f = r.all(RunEvent.TaskFailed.class, "slow").get(0);
        assertEquals("timeout", f.error());
        assertTrue(f.message().contains("timeout of 300 ms"), f.message());
        assertTrue(f.last());
        assertEquals("timeout: " + f.message(), r.report().get("tasks").get("slow").get("error").asText());
        assertEquals("skipped", r.report().get("tasks").get("after").get("status").asText());
        // The worker interrupts the thread of an attempt it gave up on.
        await().atMost(Duration.ofSeconds(10)).until(() -> TestNodes.Sleep.INTERRUPTED.get() == 1);
    }

    @Test
    void aTimedOutAttemptIsRetriedWhenThePolicySaysSo() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("slow", "test.sleep").with("millis", 60_000).with("until-attempt", 1)
                        .timeout(Duration.ofMillis(300)).retry(retry(2, 10, ErrorClass.TIMEOUT)).build()));
        assertTrue(r.outcome().ok(), r.outcome().toString());
        assertEquals(2, TestNodes.Sleep.INVOCATIONS.get());
        assertEquals("timeout", r.all(RunEvent.TaskFailed.class, "slow").get(0).error());
        assertEquals(2, r.all(RunEvent.TaskSucceeded.class, "slow").get(0).attempt());
        JsonNode slow = r.report().get("tasks").get("slow");
        assertEquals("succeeded", slow.get("status").asText());
        assertEquals(2, slow.get("attempts").asInt());
    }

    @Test
    void aNodeThatChecksForCancellationStopsAfterItsTimeout() throws Exception {
        Runs.Result r = run(workflow("w", 1, task("spin", "test.spin").timeout(Duration.ofMillis(300)).build()));
        assertEquals("failed", r.outcome().status());
        assertEquals("timeout", r.all(RunEvent.TaskFailed.class, "spin").get(0).error());
        await().atMost(Duration.ofSeconds(10)).until(() -> TestNodes.Spin.STOPPED.get() == 1);
        assertEquals(1, TestNodes.Spin.INVOCATIONS.get());
    }

    @Test
    void aTimeoutLongerThanTheWorkChangesNothing() throws Exception {
        Runs.Result r = run(workflow("w", 1,
                task("quick", "test.sleep").with("millis", 10).timeout(Duration.ofSeconds(20)).build()));
        assertTrue(r.outcome().ok(), r.outcome().toString());
        assertTrue(r.all(RunEvent.TaskFailed.class).isEmpty());
    }
}
