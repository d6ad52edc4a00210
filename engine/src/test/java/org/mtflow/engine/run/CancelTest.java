package org.mtflow.engine.run;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.retry;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/**
 * Cancelling a run: its running attempt stops, nothing more starts, every unfinished task is skipped
 * and the run ends "cancelled"; started again with its id, it goes on from what had finished. Each
 * engine is a fresh actor system on the same home with the durable journal, as after a restart.
 */
class CancelTest {
    private static final Duration PROMPTLY = Duration.ofSeconds(5);

    @TempDir
    Path home;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    private Engine engine() throws Exception {
        return Runs.durableEngine(home);
    }

    /**
     * {@code first} ends at once; {@code gate} then runs until cancelled (or opened); {@code other}
     * is ready but waits for the one slot {@code gate} holds; {@code after} and {@code last} wait
     * for {@code gate}. Caching off: only the journal spares work on resume.
     */
    private static WorkflowSpec spec() {
        return workflow("cancel", 7,
                task("first", "test.sleep").with("millis", 0).cache(false).build(),
                task("gate", "test.gate").inputs("x", "first.out").cache(false).build(),
                task("other", "test.sleep").with("millis", 0).inputs("x", "first.out").cache(false).build(),
                task("after", "test.sleep").with("millis", 0).inputs("x", "gate.out").cache(false).build(),
                task("last", "test.sleep").with("millis", 0).inputs("x", "after.out").cache(false).build());
    }

    private static RunOptions options(String runId) {
        return new RunOptions(runId, "name: cancel\n", true, 1); // one attempt at a time: 'other' stays queued
    }

    @Test
    void aCancelledRunStopsWhatRunsStartsNothingAndResumesWhereItStopped() throws Exception {
        try (Engine e = engine()) {
            Runs.Recorder events = new Runs.Recorder();
            Engine.RunHandle h = e.start(spec(), options("c1"), events);
            await().atMost(Runs.RUN_LIMIT).until(() -> TestNodes.Gate.INVOCATIONS.get() == 1);
            assertTrue(e.cancel("c1", "changed my mind"));
            await().atMost(PROMPTLY).until(h.done()::isDone);
            RunOutcome o = h.done().join();
            assertEquals("cancelled", o.status());
            assertFalse(o.ok());
            assertEquals(1, o.succeeded());
            assertEquals(4, o.skipped());
            // The run ends without waiting for the attempt: its thread is interrupted meanwhile.
            await("the running attempt is interrupted").atMost(PROMPTLY)
                    .until(() -> TestNodes.Gate.INTERRUPTED.get() == 1);
            assertEquals(1, TestNodes.Sleep.INVOCATIONS.get(), "only 'first' ran: nothing started after the cancel");

            Runs.Result r = new Runs.Result(e, h, o, events.events());
            RunEvent.RunFinished finished = r.all(RunEvent.RunFinished.class).get(0);
            assertEquals("cancelled", finished.status());
            for (String id : List.of("gate", "other", "after", "last")) {
                RunEvent.TaskSkipped s = r.all(RunEvent.TaskSkipped.class, id).get(0);
                assertEquals("run cancelled: changed my mind", s.reason());
                assertNull(s.cause());
            }
            assertTrue(r.all(RunEvent.TaskStarted.class, "other").isEmpty());
            JsonNode report = r.report();
            assertEquals("cancelled", report.get("status").asText());
            assertEquals("succeeded", report.get("tasks").get("first").get("status").asText());
            for (String id : List.of("gate", "other", "after", "last")) {
                JsonNode t = report.get("tasks").get(id);
                assertEquals("skipped", t.get("status").asText(), id);
                assertEquals("run cancelled: changed my mind", t.get("reason").asText(), id);
            }
            assertEquals(1, report.get("tasks").get("gate").get("attempts").asInt());

            assertFalse(e.cancel("c1", "again"), "a run that ended is not running");
            assertFalse(e.cancel("nope", "never ran"));
        }

        TestNodes.reset();
        TestNodes.Gate.OPEN.countDown(); // this time the gate lets it through
        try (Engine e = engine()) {
            Runs.Result r = Runs.run(e, spec(), options("c1"));
            assertTrue(r.outcome().ok(), r.outcome().toString());
            assertEquals(List.of("first"),
                    r.all(RunEvent.TaskRecovered.class).stream().map(RunEvent.TaskRecovered::task).toList());
            assertEquals(3, TestNodes.Sleep.INVOCATIONS.get(), "other, after and last ran; first did not run again");
            assertEquals(1, TestNodes.Gate.INVOCATIONS.get());
            JsonNode report = r.report();
            assertEquals("succeeded", report.get("status").asText());
            assertEquals(2, report.get("sessions").asInt());
            assertEquals(2, report.get("tasks").get("gate").get("attempts").asInt(), "one attempt per session");
        }
    }

    @Test
    void aCancelRightAfterTheStartEndsTheRun() throws Exception {
        // The cancel may come while the coordinator still reads the journal: it applies once read.
        try (Engine e = engine()) {
            Engine.RunHandle h = e.start(spec(), options("c0"), null);
            assertTrue(e.cancel("c0", "too soon"));
            await().atMost(PROMPTLY).until(h.done()::isDone);
            assertEquals("cancelled", h.done().join().status());
            assertEquals(5, h.done().join().succeeded() + h.done().join().skipped());
        }
    }

    @Test
    void aRequestFileCancelsTheRunningRunAndIsDeleted() throws Exception {
        try (Engine e = engine()) {
            Engine.RunHandle h = e.start(spec(), options("c2"), null);
            await().atMost(Runs.RUN_LIMIT).until(() -> TestNodes.Gate.INVOCATIONS.get() == 1);
            Path request = h.dir().resolve(Engine.CANCEL_REQUEST);
            Files.writeString(request, "from another process\n", StandardCharsets.UTF_8);
            await().atMost(PROMPTLY).until(h.done()::isDone);
            assertEquals("cancelled", h.done().join().status());
            assertFalse(Files.exists(request), "the engine deletes the request it took");
            assertEquals("run cancelled: from another process",
                    new Runs.Result(e, h, h.done().join(), List.of()).report().get("tasks").get("after").get("reason").asText());
        }
    }

    @Test
    void aStaleRequestFileDoesNotCancelTheNextSession() throws Exception {
        TestNodes.Gate.OPEN.countDown();
        Path dir = home.resolve("runs").resolve("c3");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Engine.CANCEL_REQUEST), "left over");
        try (Engine e = engine()) {
            Runs.Result r = Runs.run(e, spec(), options("c3"));
            assertTrue(r.outcome().ok(), r.outcome().toString());
            assertFalse(Files.exists(dir.resolve(Engine.CANCEL_REQUEST)));
        }
    }

    @Test
    void aRunWaitingForARetryEndsAtOnceAndCancellingTwiceIsHarmless() throws Exception {
        WorkflowSpec spec = workflow("retrying", 1,
                task("flaky", "test.flaky").with("failures", 1).retry(retry(3, 60_000)).cache(false).build(),
                task("next", "test.sleep").with("millis", 0).inputs("x", "flaky.out").cache(false).build());
        try (Engine e = engine()) {
            Runs.Recorder events = new Runs.Recorder();
            Engine.RunHandle h = e.start(spec, new RunOptions("c4", "name: retrying\n", true, 0), events);
            // Its first attempt failed; the next is due in a minute.
            await().atMost(Runs.RUN_LIMIT).until(() -> events.events().stream().anyMatch(ev -> ev instanceof RunEvent.TaskRetrying));
            assertTrue(e.cancel("c4", "no point waiting"));
            e.cancel("c4", "twice");
            await().atMost(PROMPTLY).until(h.done()::isDone);
            RunOutcome o = h.done().join();
            assertEquals("cancelled", o.status());
            assertEquals(2, o.skipped());
            assertEquals(1, TestNodes.Flaky.INVOCATIONS.get(), "the retry was dropped, not run");
            List<RunEvent> all = events.events();
            assertEquals(1, all.stream().filter(ev -> ev instanceof RunEvent.RunFinished).count());
            assertEquals(2, all.stream().filter(ev -> ev instanceof RunEvent.TaskSkipped).count(), "each task skipped once");
        }
    }
}
