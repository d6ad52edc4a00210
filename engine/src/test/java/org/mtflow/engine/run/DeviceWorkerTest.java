package org.mtflow.engine.run;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.engine.cluster.ArtifactFetcher;
import org.mtflow.engine.cluster.ArtifactServer;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.engine.testkit.Floats;
import org.mtflow.engine.testkit.TestNodes;

/** The worker on its own, driven by a test probe standing in for the coordinator. */
class DeviceWorkerTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path root;
    private ArtifactStore store;
    private Device device;
    private ActorRef<DeviceWorker.Command> worker;
    private TestProbe<RunCoordinator.Command> probe;

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    @BeforeEach
    void setUp() throws Exception {
        TestNodes.reset();
        store = new ArtifactStore(root);
        device = Devices.jvmDevice(1);
        worker = KIT.spawn(DeviceWorker.create(device, 3, store, TestNodes.catalog()));
        probe = KIT.createTestProbe(RunCoordinator.Command.class);
    }

    private static ObjectNode params(String json) throws Exception {
        return (ObjectNode) Json.MAPPER.readTree(json.replace('\'', '"'));
    }

    private static TaskAssignment assignment(String task, int attempt, String type, String params,
                                             Map<String, List<ArtifactRef>> inputs, long timeoutMillis, String cacheKey)
            throws Exception {
        return new TaskAssignment("r", task, attempt, type, params(params), inputs, 5, timeoutMillis, cacheKey, 1);
    }

    /** The next AttemptFinished, skipping progress reports. */
    private RunCoordinator.AttemptFinished finished() {
        while (true) {
            RunCoordinator.Command m = probe.receiveMessage(WAIT);
            if (m instanceof RunCoordinator.AttemptFinished f) return f;
            assertInstanceOf(RunCoordinator.Progress.class, m);
        }
    }

    @Test
    void describesItsDeviceAndSlots() {
        worker.tell(new DeviceWorker.Describe(probe.getRef()));
        RunCoordinator.WorkerInfo info = probe.expectMessageClass(RunCoordinator.WorkerInfo.class, WAIT);
        assertEquals(device.info(), info.device());
        assertEquals(3, info.slots());
        assertEquals(worker, info.worker());
    }

    @Test
    void runsANodeStoresItsOutputAndRecordsTheCacheEntry() throws Exception {
        String key = "c".repeat(64);
        worker.tell(new DeviceWorker.Execute(assignment("src", 1, "test.source", "{'n': 257}", Map.of(), 0, key),
                probe.getRef()));
        RunCoordinator.Progress progress = probe.expectMessageClass(RunCoordinator.Progress.class, WAIT);
        assertEquals("src", progress.taskId());
        assertEquals(1.0, progress.fraction());
        RunCoordinator.AttemptFinished f = finished();
        assertEquals("src", f.taskId());
        assertEquals(1, f.attempt());
        assertEquals("jvm", f.device());
        AttemptOutcome.Succeeded ok = assertInstanceOf(AttemptOutcome.Succeeded.class, f.outcome());
        ArtifactRef ref = ok.outputs().get("values");
        assertEquals(257 * 4, ref.size());
        assertArrayEquals(TestNodes.Source.expected(5, "src", 257, -1f, 1f), Floats.read(store.read(ref)));
        assertEquals(257, ok.metrics().get("count").asInt());

        JsonNode entry = Json.MAPPER.readTree(store.readCacheEntry(key).orElseThrow());
        assertEquals(ref.sha256(), entry.get("outputs").get("values").get("sha256").asText());
        assertEquals(257, entry.get("metrics").get("count").asInt());
    }

    @Test
    void noCacheEntryWithoutACacheKey() throws Exception {
        worker.tell(new DeviceWorker.Execute(assignment("src", 1, "test.source", "{'n': 1}", Map.of(), 0, null),
                probe.getRef()));
        assertInstanceOf(AttemptOutcome.Succeeded.class, finished().outcome());
        try (var files = Files.list(root.resolve("cache"))) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void readsInputsFromTheStore() throws Exception {
        float[] x = {1f, -2f, 3.5f};
        ArtifactRef in = store.write(out -> Floats.write(out, x));
        worker.tell(new DeviceWorker.Execute(assignment("s", 1, "test.scale", "{'factor': -2}",
                Map.of("x", List.of(in)), 0, null), probe.getRef()));
        AttemptOutcome.Succeeded ok = assertInstanceOf(AttemptOutcome.Succeeded.class, finished().outcome());
        assertArrayEquals(new float[] {-2f, 4f, -7f}, Floats.read(store.read(ok.outputs().get("y"))));
    }

    @Test
    void aCorruptInputFailsTheAttemptWithoutRunningOnGarbage() throws Exception {
        ArtifactRef in = store.write(out -> Floats.write(out, new float[] {1f, 2f}));
        byte[] bytes = Files.readAllBytes(store.pathOf(in));
        bytes[0] ^= 1;
        Path file = store.pathOf(in);
        Files.write(file, bytes);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        worker.tell(new DeviceWorker.Execute(assignment("s", 1, "test.scale", "{'factor': 1}",
                Map.of("x", List.of(in)), 0, null), probe.getRef()));
        AttemptOutcome.Failed failed = assertInstanceOf(AttemptOutcome.Failed.class, finished().outcome());
        assertTrue(failed.message().contains("artifact " + in.sha256()), failed.message());
    }

    @Test
    void unknownNodeTypesAndBadParamsFailPermanently() throws Exception {
        worker.tell(new DeviceWorker.Execute(assignment("a", 1, "test.nope", "{}", Map.of(), 0, null), probe.getRef()));
        AttemptOutcome.Failed unknown = assertInstanceOf(AttemptOutcome.Failed.class, finished().outcome());
        assertEquals(ErrorClass.PERMANENT, unknown.error());
        assertTrue(unknown.message().contains("no node type 'test.nope'"), unknown.message());

        worker.tell(new DeviceWorker.Execute(assignment("b", 1, "test.source", "{'n': -1}", Map.of(), 0, null), probe.getRef()));
        AttemptOutcome.Failed bad = assertInstanceOf(AttemptOutcome.Failed.class, finished().outcome());
        assertEquals(ErrorClass.PERMANENT, bad.error());
        assertEquals("n must be >= 0, got -1", bad.message());
        assertEquals(0, TestNodes.Source.INVOCATIONS.get());
    }

    @Test
    void cancelStopsACooperativeNodeAndNothingIsReported() throws Exception {
        TaskAssignment spin = assignment("spin", 1, "test.spin", "{}", Map.of(), 0, null);
        worker.tell(new DeviceWorker.Execute(spin, probe.getRef()));
        await().atMost(WAIT).until(() -> TestNodes.Spin.INVOCATIONS.get() == 1);
        worker.tell(new DeviceWorker.Cancel(spin.key()));
        await().atMost(WAIT).until(() -> TestNodes.Spin.STOPPED.get() == 1);
        probe.expectNoMessage(Duration.ofMillis(200));
        // The worker goes on serving.
        worker.tell(new DeviceWorker.Execute(assignment("src", 1, "test.source", "{'n': 1}", Map.of(), 0, null),
                probe.getRef()));
        assertInstanceOf(AttemptOutcome.Succeeded.class, finished().outcome());
    }

    @Test
    void anAttemptPastItsTimeoutIsReportedAsTimeoutAndInterrupted() throws Exception {
        worker.tell(new DeviceWorker.Execute(assignment("slow", 2, "test.sleep", "{'millis': 60000}", Map.of(), 200, null),
                probe.getRef()));
        RunCoordinator.AttemptFinished f = finished();
        assertEquals(2, f.attempt());
        AttemptOutcome.Failed failed = assertInstanceOf(AttemptOutcome.Failed.class, f.outcome());
        assertEquals(ErrorClass.TIMEOUT, failed.error());
        await().atMost(WAIT).until(() -> TestNodes.Sleep.INTERRUPTED.get() == 1);
        probe.expectNoMessage(Duration.ofMillis(200)); // the interrupted attempt's own end is not reported twice
    }

    @Test
    void attemptsRunSideBySide() throws Exception {
        for (int i = 0; i < 3; i++) {
            worker.tell(new DeviceWorker.Execute(assignment("p" + i, 1, "test.probe", "{'millis': 300}", Map.of(), 0, null),
                    probe.getRef()));
        }
        for (int i = 0; i < 3; i++) assertInstanceOf(AttemptOutcome.Succeeded.class, finished().outcome());
        assertEquals(3, TestNodes.Probe.maxRunning());
    }

    // --- on a cluster node: inputs another node holds ----------------------------------------

    /** Runs test.scale on a worker of another node ("here", its own store) whose input {@code in} is named as held {@code from}. */
    private RunCoordinator.AttemptFinished runElsewhere(ArtifactStore here, ArtifactRef in, List<String> from) throws Exception {
        ActorRef<DeviceWorker.Command> remote = KIT.spawn(DeviceWorker.create(device, 2, here, TestNodes.catalog(),
                new DeviceWorker.Remote("127.0.0.1:2552", "http://127.0.0.1:1", new ArtifactFetcher(here, null))));
        remote.tell(new DeviceWorker.Execute(new TaskAssignment("r", "s", 1, "test.scale", params("{'factor': -2}"),
                Map.of("x", List.of(in)), 5, 0, null, 1, Map.of(in.sha256(), from)), probe.getRef()));
        return finished();
    }

    @Test
    void onAClusterNodeFetchesAnInputAnotherNodeHoldsThenRuns() throws Exception {
        ArtifactStore here = new ArtifactStore(root.resolve("here"));
        ArtifactRef in = store.write(out -> Floats.write(out, new float[] {1f, -2f, 3.5f}));
        try (ArtifactServer holder = ArtifactServer.start(store, "127.0.0.1", 0, null)) {
            // The first node named is gone: the next one delivers.
            RunCoordinator.AttemptFinished f = runElsewhere(here, in, List.of("http://127.0.0.1:1", holder.base().toString()));
            assertEquals("jvm@127.0.0.1:2552", f.device());
            AttemptOutcome.Succeeded ok = assertInstanceOf(AttemptOutcome.Succeeded.class, f.outcome());
            assertArrayEquals(new float[] {-2f, 4f, -7f}, Floats.read(here.read(ok.outputs().get("y"))));
            assertTrue(here.contains(in), "the fetched input stays in this node's store");
        }
    }

    @Test
    void onAClusterNodeAnInputNoHolderCanDeliverIsReportedMissing() throws Exception {
        ArtifactRef in = new ArtifactRef("ab".repeat(32), 12);
        try (ArtifactServer holder = ArtifactServer.start(store, "127.0.0.1", 0, null)) {
            RunCoordinator.AttemptFinished f = runElsewhere(new ArtifactStore(root.resolve("here")), in,
                    List.of(holder.base().toString()));
            AttemptOutcome.InputsMissing missing = assertInstanceOf(AttemptOutcome.InputsMissing.class, f.outcome());
            assertEquals(List.of(in.sha256()), missing.sha256());
            assertTrue(missing.message().contains("404"), missing.message());
        }
    }
}
