package org.mtflow.engine.run;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.retry;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceKind;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.testkit.Floats;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.TestNodes;

/** min-success joins, device failures, worker crashes and runs sharing one engine. */
class RecoveryTest {
    @TempDir
    Path home;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    @Test
    void aMinSuccessJoinRunsOnTheOutputsThatExist() throws Exception {
        long seed = new Random().nextLong();
        try (Engine engine = Runs.engine(home, Runs.device("jvm", DeviceKind.JVM, 2, 1L << 30))) {
            Runs.Result r = Runs.run(engine, workflow("w", seed,
                    task("a", "test.source").with("n", 10).build(),
                    task("bad", "test.fail").build(),
                    task("c", "test.source").with("n", 7).build(),
                    task("two", "test.sum").inputs("values", 2, "a.values", "bad.out", "c.values").build(),
                    task("all", "test.sum").inputs("values", "a.values", "c.values", "bad.out").build(),
                    task("three", "test.sum").inputs("values", 3, "a.values", "bad.out", "c.values").build()), "joins");
            assertEquals("failed", r.outcome().status());
            double expected = 0;
            for (float f : TestNodes.Source.expected(seed, "a", 10, -1f, 1f)) expected += f;
            for (float f : TestNodes.Source.expected(seed, "c", 7, -1f, 1f)) expected += f;
            assertEquals(expected, Floats.readDouble(r.artifact("two", "sum")), 0.0,
                    "seed " + seed + ": the join sums the two outputs that exist, in list order");
            for (String skipped : List.of("all", "three")) {
                assertEquals("bad", r.all(RunEvent.TaskSkipped.class, skipped).get(0).cause(), skipped);
            }
        }
    }

    @Test
    void aDeviceFailureIsRetriedOnAnotherDevice() throws Exception {
        try (Engine engine = Runs.engine(home, Runs.device("gpu", DeviceKind.GPU, 1, 1L << 30),
                Runs.device("jvm", DeviceKind.JVM, 1, 1L << 30))) {
            Runs.Result r = Runs.run(engine, workflow("w", 1, task("k", "test.device-fail").with("broken", "gpu")
                    .retry(retry(3, 1, ErrorClass.DEVICE)).build()), "failover");
            assertTrue(r.outcome().ok(), r.outcome().toString());
            assertEquals(List.of("gpu", "jvm"), r.all(RunEvent.TaskStarted.class).stream().map(RunEvent.TaskStarted::device).toList(),
                    "the stronger device first, then the other one");
            assertEquals("device", r.all(RunEvent.TaskFailed.class, "k").get(0).error());
        }
    }

    @Test
    void aDeviceThatKeepsFailingIsTakenOutOfRotation() throws Exception {
        try (Engine engine = Runs.engine(home, Runs.device("gpu", DeviceKind.GPU, 1, 1L << 30),
                Runs.device("jvm", DeviceKind.JVM, 1, 1L << 30))) {
            List<TaskSpec> tasks = new ArrayList<>();
            // A chain, so each task meets a free GPU first.
            for (int i = 0; i < 6; i++) {
                var t = task("k" + i, "test.device-fail").with("broken", "gpu").retry(retry(3, 1, ErrorClass.DEVICE));
                if (i > 0) t.inputs("x", "k" + (i - 1) + ".out");
                tasks.add(t.build());
            }
            Runs.Result r = Runs.run(engine, workflow("w", 1, tasks.toArray(TaskSpec[]::new)), "degrade");
            assertTrue(r.outcome().ok(), r.outcome().toString());
            RunEvent.DeviceDegraded degraded = r.all(RunEvent.DeviceDegraded.class).get(0);
            assertEquals("gpu", degraded.device());
            assertTrue(degraded.reason().contains("3 device failures in a row"), degraded.reason());
            long onGpu = r.all(RunEvent.TaskStarted.class).stream().filter(s -> s.device().equals("gpu")).count();
            assertEquals(DeviceWorker.DEGRADE_AFTER, onGpu, "after three failures nothing more goes to the GPU");
            assertTrue(r.report().get("degraded").has("gpu"));
        }
    }

    @Test
    void aCrashedWorkerIsRestartedAndItsTaskSentAgain() throws Exception {
        try (Engine engine = Runs.engine(home, Runs.device("jvm", DeviceKind.JVM, 1, 1L << 30))) {
            Runs.Recorder events = new Runs.Recorder();
            Engine.RunHandle run = engine.start(workflow("w", 1,
                    task("slow", "test.sleep").with("millis", 300).with("until-attempt", 1).build(),
                    task("after", "test.flaky").inputs("x", "slow.out").build()),
                    new RunOptions("crash", "name: w\n", false, 0), events);
            await().atMost(Runs.RUN_LIMIT).until(() -> TestNodes.Sleep.INVOCATIONS.get() == 1);
            worker(engine).tell(new DeviceWorker.Crash("injected by the test"));
            await().atMost(Runs.RUN_LIMIT).until(run.done()::isDone);
            assertTrue(run.done().join().ok(), run.done().join().toString());
            List<RunEvent.TaskFailed> lost = events.events().stream().filter(e -> e instanceof RunEvent.TaskFailed)
                    .map(e -> (RunEvent.TaskFailed) e).toList();
            assertEquals(1, lost.size());
            assertEquals("lost", lost.get(0).error());
            assertTrue(lost.get(0).message().contains("crashed and was restarted"), lost.get(0).message());
            assertEquals(2, TestNodes.Sleep.INVOCATIONS.get(), "sent again to the restarted worker");
        }
    }

    private static ActorRef<DeviceWorker.Command> worker(Engine engine) throws Exception {
        CompletionStage<Receptionist.Listing> listing = AskPattern.ask(engine.system().receptionist(),
                replyTo -> Receptionist.find(DeviceWorker.SERVICE_KEY, replyTo), Duration.ofSeconds(5),
                engine.system().scheduler());
        Set<ActorRef<DeviceWorker.Command>> workers = listing.toCompletableFuture().get()
                .getServiceInstances(DeviceWorker.SERVICE_KEY);
        assertEquals(1, workers.size());
        return workers.iterator().next();
    }

    @Test
    void runsSharingADeviceTakeTurns() throws Exception {
        try (Engine engine = Runs.engine(home, Runs.device("jvm", DeviceKind.JVM, 1, 1L << 30))) {
            List<TaskSpec> longRun = new ArrayList<>();
            for (int i = 0; i < 8; i++) longRun.add(task("a" + i, "test.probe").with("millis", 40).build());
            Runs.Recorder events = new Runs.Recorder();
            Engine.RunHandle a = engine.start(workflow("a", 1, longRun.toArray(TaskSpec[]::new)),
                    new RunOptions("long", "name: a\n", false, 0), events);
            await().atMost(Runs.RUN_LIMIT).until(() -> TestNodes.Probe.INVOCATIONS.get() >= 1);
            Engine.RunHandle b = engine.start(workflow("b", 1, task("b0", "test.probe").with("millis", 40).build(),
                    task("b1", "test.probe").with("millis", 40).build()), new RunOptions("short", "name: b\n", false, 0), events);
            await().atMost(Runs.RUN_LIMIT).until(() -> a.done().isDone() && b.done().isDone());
            List<String> order = events.events().stream().filter(e -> e instanceof RunEvent.TaskSucceeded)
                    .map(e -> ((RunEvent.TaskSucceeded) e).task()).toList();
            int lastOfB = Math.max(order.indexOf("b0"), order.indexOf("b1"));
            assertTrue(lastOfB < order.indexOf("a7") - 2, "the short run does not wait for the long one: " + order);
            assertEquals(1, TestNodes.Probe.maxRunning(), "one slot, shared");
        }
    }
}
