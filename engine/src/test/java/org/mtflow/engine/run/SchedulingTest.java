package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceKind;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.devices.Devices;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.testkit.Runs;
import org.mtflow.engine.testkit.Specs;
import org.mtflow.engine.testkit.TestNodes;

/** Determinism across worker counts, device choice, slots and the concurrency cap. */
class SchedulingTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void reset() {
        TestNodes.reset();
    }

    /** Three sources, each scaled twice, all summed: plenty of tasks ready at once. */
    private static WorkflowSpec wide(long seed) {
        List<TaskSpec> tasks = new ArrayList<>();
        List<String> ys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tasks.add(task("src" + i, "test.source").with("n", 5000 + i).build());
            for (double f : new double[] {0.5, 3.0}) {
                String id = "scale" + i + "x" + (int) (f * 10);
                tasks.add(task(id, "test.scale").with("factor", f).input("x", "src" + i + ".values").build());
                ys.add(id + ".y");
            }
        }
        tasks.add(task("total", "test.sum").inputs("values", ys.toArray(String[]::new)).build());
        return workflow("wide", seed, tasks.toArray(TaskSpec[]::new));
    }

    @Test
    void testsRunWithMessageSerializationOn() {
        // Every engine test below then proves its messages survive CBOR, as they must in a cluster.
        assertTrue(ConfigFactory.load().getBoolean("pekko.actor.serialize-messages"),
                "surefire must set pekko.actor.serialize-messages=on");
    }

    @Test
    void sameSeedGivesIdenticalArtifactsWhateverTheWorkerCount() throws Exception {
        long seed = 123456789L;
        Map<String, Map<String, String>> one;
        Map<String, Map<String, String>> four;
        try (Engine engine = Runs.engine(tmp.resolve("home1"), Devices.jvmDevice(1))) {
            Runs.Result r = Runs.run(engine, wide(seed), "one", true, 1);
            assertTrue(r.outcome().ok());
            one = r.outputs();
        }
        try (Engine engine = Runs.engine(tmp.resolve("home4"), Devices.jvmDevice(4))) {
            Runs.Result r = Runs.run(engine, wide(seed), "four", true, 0);
            assertTrue(r.outcome().ok());
            assertEquals(0, r.outcome().cached(), "a fresh home has no cache");
            four = r.outputs();
        }
        assertEquals(10, one.size());
        assertEquals(one, four, "seed " + seed + ": 1 thread / maxConcurrency 1 vs 4 threads / no cap");

        try (Engine engine = Runs.engine(tmp.resolve("home5"), Devices.jvmDevice(2))) {
            Map<String, Map<String, String>> other = Runs.run(engine, wide(seed + 1), "other").outputs();
            for (String t : List.of("src0", "src1", "src2", "total")) {
                assertNotEquals(one.get(t), other.get(t), t + " must depend on the seed");
            }
        }
    }

    @Test
    void maxConcurrencyCapsAttemptsInFlight() throws Exception {
        WorkflowSpec spec = probes("p", 4, 150);
        try (Engine engine = Runs.engine(tmp, Devices.jvmDevice(4))) {
            assertTrue(Runs.run(engine, spec, "capped", false, 1).outcome().ok());
            assertEquals(1, TestNodes.Probe.maxRunning(), "maxConcurrency 1");
            TestNodes.reset();
            assertTrue(Runs.run(engine, spec, "uncapped", false, 0).outcome().ok());
            assertTrue(TestNodes.Probe.maxRunning() >= 2, "4 slots run independent tasks together: "
                    + TestNodes.Probe.maxRunning());
            assertTrue(TestNodes.Probe.maxRunning() <= 4);
        }
    }

    private static WorkflowSpec probes(String prefix, int count, long millis) {
        TaskSpec[] tasks = new TaskSpec[count];
        for (int i = 0; i < count; i++) tasks[i] = task(prefix + i, "test.probe").with("millis", millis).build();
        return workflow("probes", 1, tasks);
    }

    @Test
    void aDeviceRunsNoMoreAttemptsThanItHasSlots() throws Exception {
        try (Engine engine = Runs.engine(tmp, Runs.device("jvm-a", DeviceKind.JVM, 2, 1L << 30))) {
            assertTrue(Runs.run(engine, probes("p", 6, 100), "slots").outcome().ok());
            assertEquals(Map.of("jvm-a", 2), TestNodes.Probe.maxRunningPerDevice());
        }
    }

    @Test
    void tasksNeedingSeveralSlotsWaitForThem() throws Exception {
        TaskSpec[] tasks = new TaskSpec[3];
        for (int i = 0; i < 3; i++) {
            tasks[i] = task("p" + i, "test.probe").with("millis", 100)
                    .resources(new Resources(DeviceSelector.ANY, 0, 2)).build();
        }
        try (Engine engine = Runs.engine(tmp, Runs.device("jvm-a", DeviceKind.JVM, 3, 1L << 30))) {
            assertTrue(Runs.run(engine, workflow("w", 1, tasks), "slots").outcome().ok());
            assertEquals(1, TestNodes.Probe.maxRunning(), "3 slots hold one 2-slot task at a time");
        }
    }

    @Test
    void twoDevicesBothReceiveWork() throws Exception {
        try (Engine engine = Runs.engine(tmp, Runs.device("jvm-a", DeviceKind.JVM, 1, 1L << 30),
                Runs.device("jvm-b", DeviceKind.JVM, 1, 1L << 30))) {
            assertEquals(List.of("jvm-a", "jvm-b"), engine.devices().stream().map(d -> d.id()).toList());
            Runs.Result r = Runs.run(engine, probes("p", 6, 100), "two");
            assertTrue(r.outcome().ok());
            Set<String> started = new TreeSet<>();
            for (RunEvent.TaskStarted s : r.all(RunEvent.TaskStarted.class)) started.add(s.device());
            assertEquals(Set.of("jvm-a", "jvm-b"), started);
            assertEquals(Set.of("jvm-a", "jvm-b"), new TreeSet<>(TestNodes.Probe.devices()));
            assertEquals(Map.of("jvm-a", 1, "jvm-b", 1), TestNodes.Probe.maxRunningPerDevice(), "one slot each");
            // Each task ran where its TaskStarted event and the report say it did.
            for (RunEvent.TaskSucceeded s : r.all(RunEvent.TaskSucceeded.class)) {
                assertEquals(s.device(), s.metrics().get("device").asText(), s.task());
                assertEquals(s.device(), r.report().get("tasks").get(s.task()).get("device").asText(), s.task());
            }
        }
    }

    @Test
    void tasksRunOnlyOnDevicesTheirResourcesAllow() throws Exception {
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tasks.add(task("g" + i, "test.probe").with("millis", 30).device(DeviceSelector.GPU).build());
            tasks.add(task("j" + i, "test.probe").with("millis", 30).device(DeviceSelector.JVM).build());
            tasks.add(task("big" + i, "test.probe").with("millis", 30)
                    .resources(new Resources(DeviceSelector.ANY, 4L << 30, 1)).build());
        }
        try (Engine engine = Runs.engine(tmp, Runs.device("fake-gpu", DeviceKind.GPU, 4, 8L << 30),
                Runs.device("jvm-small", DeviceKind.JVM, 4, 1L << 30))) {
            Runs.Result r = Runs.run(engine, workflow("w", 1, tasks.toArray(TaskSpec[]::new)), "placed");
            assertTrue(r.outcome().ok(), r.outcome().toString());
            for (RunEvent.TaskStarted s : r.all(RunEvent.TaskStarted.class)) {
                String expected = s.task().startsWith("j") ? "jvm-small" : "fake-gpu";
                assertEquals(expected, s.device(), s.task());
            }
        }
    }

    @Test
    void anyTaskPrefersTheStrongestDeviceKind() throws Exception {
        try (Engine engine = Runs.engine(tmp, Runs.device("jvm-big", DeviceKind.JVM, 8, 1L << 30),
                Runs.device("fake-gpu", DeviceKind.GPU, 1, 1L << 30))) {
            Runs.Result r = Runs.run(engine, workflow("w", 1, task("a", "test.probe").with("millis", 1).build()), "pref");
            assertEquals("fake-gpu", r.all(RunEvent.TaskStarted.class).get(0).device());
        }
    }
}
