package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.devices.DeviceKind;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.store.ArtifactStore;
import org.mtflow.engine.testkit.Specs;
import org.mtflow.engine.testkit.TestNodes;

/**
 * Lineage of what a task's attempt handed to a subtask it spawned, on a cluster: the coordinator
 * against three scripted workers, each standing for a node. When the parent's node is lost with
 * the only copy of the subtask's inputs, the subtask waits for the parent's next attempt to spawn
 * it again (and then fetches its inputs from that attempt's node) instead of failing on a fetch
 * from the lost node; if the parent ends without spawning it again, it fails, and the run ends.
 */
class SubtaskLineageTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    @TempDir
    Path dir;
    private final ActorTestKit kit = ActorTestKit.create();
    private final TestProbe<Dispatched> dispatched = kit.createTestProbe();

    /** An Execute a scripted worker received. */
    record Dispatched(String worker, TaskAssignment task) implements org.mtflow.engine.CborMessage {}

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    /** A worker of node {@code node}: describes itself, and reports what it is sent to the probe. */
    private Behavior<DeviceWorker.Command> worker(String node) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(DeviceWorker.SERVICE_KEY, ctx.getSelf()));
            return Behaviors.receive(DeviceWorker.Command.class)
                    .onMessage(DeviceWorker.Describe.class, m -> {
                        m.replyTo().tell(new RunCoordinator.WorkerInfo(ctx.getSelf(),
                                new DeviceInfo("jvm", DeviceKind.JVM, "scripted", 1, 1L << 30, "java"), 1, "jvm@" + node,
                                "http://" + node));
                        return Behaviors.same();
                    })
                    .onMessage(DeviceWorker.Execute.class, m -> {
                        dispatched.ref().tell(new Dispatched(node, m.task()));
                        return Behaviors.same();
                    })
                    .onAnyMessage(m -> Behaviors.same())
                    .build();
        });
    }

    private static final class Cluster {
        final Map<String, ActorRef<DeviceWorker.Command>> workers = new HashMap<>();
        ActorRef<RunCoordinator.Command> coordinator;
        final CompletableFuture<RunOutcome> done = new CompletableFuture<>();
    }

    private Cluster start() throws Exception {
        Cluster c = new Cluster();
        for (String node : List.of("a", "b", "c")) c.workers.put(node, kit.spawn(worker(node), "worker-" + node));
        // Three gated tasks, one per worker: p spawns the subtask; g1 and g2 keep the other two busy.
        WorkflowSpec spec = Specs.workflow("lineage", SEED, Specs.task("p", "test.gate").build(),
                Specs.task("g1", "test.gate").build(), Specs.task("g2", "test.gate").build());
        RunPlan plan = new RunPlan("r", spec, TestNodes.catalog(), new ArtifactStore(dir.resolve("store")), e -> {},
                false, 0, 100, 4, false, false, n -> {}, c.done, "http://coordinator");
        c.coordinator = kit.spawn(RunCoordinator.create(plan), "run");
        return c;
    }

    /** The next dispatches, by task id. */
    private Map<String, Dispatched> next(int n) {
        Map<String, Dispatched> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Dispatched d = dispatched.receiveMessage(WAIT);
            out.put(d.task().taskId(), d);
        }
        return out;
    }

    private static ArtifactRef randomRef(SplittableRandom rng) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < 64; i++) hex.append(Character.forDigit(rng.nextInt(16), 16));
        return new ArtifactRef(hex.toString(), rng.nextInt(1, 1 << 20));
    }

    private static RunCoordinator.AttemptFinished succeeded(Dispatched d, ArtifactRef out) {
        return new RunCoordinator.AttemptFinished(d.task().taskId(), d.task().attempt(), "jvm@" + d.worker(),
                new AttemptOutcome.Succeeded(Map.of("out", out), Json.MAPPER.createObjectNode()), 1);
    }

    /**
     * p runs on one node and spawns p/x with an artifact only that node holds; p/x runs there too
     * (the only room: p parked). The node is lost; when a slot frees, p runs again elsewhere.
     * Returns the first dispatch after the loss, and leaves the rest to the caller.
     */
    private record Lost(Cluster cluster, String lostNode, Dispatched first, ArtifactRef handed) {}

    private Lost loseTheParentsNode(SplittableRandom rng) throws Exception {
        Cluster c = start();
        Map<String, Dispatched> first = next(3);
        Dispatched p = first.get("p");
        String lost = p.worker();
        ArtifactRef handed = randomRef(rng);
        ObjectNode params = Json.MAPPER.createObjectNode();
        c.coordinator.tell(new RunCoordinator.Parked("p", 1, true));
        c.coordinator.tell(new RunCoordinator.Spawn("p", 1, "x", "test.gate", params, Map.of("x", List.of(handed)),
                "r/p/1", c.workers.get(lost)));
        Dispatched x = dispatched.receiveMessage(WAIT);
        assertEquals("p/x", x.task().taskId());
        assertEquals(lost, x.worker(), "the only free slot was on p's node");

        kit.stop(c.workers.get(lost)); // the node is gone, with p's attempt and the only copy of x's input
        dispatched.expectNoMessage(Duration.ofMillis(300)); // no room anywhere: both wait in the queue
        c.coordinator.tell(succeeded(first.get("g1"), randomRef(rng))); // g1's node has room again
        return new Lost(c, lost, dispatched.receiveMessage(WAIT), handed);
    }

    @Test
    void aSubtaskWhoseInputsWereLostWithItsParentsNodeWaitsForTheParentToSpawnItAgain() throws Exception {
        SplittableRandom rng = new SplittableRandom(SEED);
        Lost l = loseTheParentsNode(rng);
        // Not p/x first, sent to fetch its input from the lost node: p, whose next attempt makes it again.
        assertEquals("p", l.first().task().taskId(), "seed " + SEED + ": " + l.first());
        assertEquals(2, l.first().task().attempt());
        String pNode = l.first().worker();
        assertNotEquals(l.lostNode(), pNode);

        Cluster c = l.cluster();
        c.coordinator.tell(new RunCoordinator.Parked("p", 2, true));
        c.coordinator.tell(new RunCoordinator.Spawn("p", 2, "x", "test.gate", Json.MAPPER.createObjectNode(),
                Map.of("x", List.of(l.handed())), "r/p/2", c.workers.get(pNode)));
        Dispatched x = dispatched.receiveMessage(WAIT);
        assertEquals("p/x", x.task().taskId());
        // It fetches its input from where p's new attempt made it, never from the lost node.
        List<String> from = x.task().sources().getOrDefault(l.handed().sha256(), List.of());
        assertFalse(from.contains("http://" + l.lostNode()), x.task().toString());
        assertTrue(x.worker().equals(pNode) || from.contains("http://" + pNode), x + " from " + from);

        c.coordinator.tell(succeeded(x, randomRef(rng)));
        c.coordinator.tell(new RunCoordinator.Parked("p", 2, false));
        c.coordinator.tell(succeeded(l.first(), randomRef(rng)));
        // g2 is the gate still running (on the third node): finish it too.
        finishRemainingGate(c, rng, l);
        RunOutcome outcome = c.done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("succeeded", outcome.status(), outcome.toString());
        assertEquals(4, outcome.succeeded(), outcome.toString());
    }

    @Test
    void aSubtaskItsParentWillNotSpawnAgainFailsAndTheRunEnds() throws Exception {
        SplittableRandom rng = new SplittableRandom(SEED);
        Lost l = loseTheParentsNode(rng);
        assertEquals("p", l.first().task().taskId(), "seed " + SEED + ": " + l.first());
        Cluster c = l.cluster();
        // p's new attempt fails for good before it spawns x again: x can never get its input.
        c.coordinator.tell(new RunCoordinator.AttemptFinished("p", 2, "jvm@" + l.first().worker(),
                new AttemptOutcome.Failed(ErrorClass.PERMANENT, "bad data"), 1));
        finishRemainingGate(c, rng, l);
        RunOutcome outcome = c.done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("failed", outcome.status(), outcome.toString());
        assertEquals(2, outcome.failed(), outcome.toString()); // p, and p/x
        assertEquals(2, outcome.succeeded(), outcome.toString()); // g1, g2
        dispatched.expectNoMessage(Duration.ofMillis(200)); // p/x was never sent to fetch from the lost node
    }

    /** Finishes g2 (dispatched at the start to a node that was not lost). */
    private static void finishRemainingGate(Cluster c, SplittableRandom rng, Lost l) {
        c.coordinator.tell(new RunCoordinator.AttemptFinished("g2", 1, "jvm", new AttemptOutcome.Succeeded(
                Map.of("out", randomRef(rng)), Json.MAPPER.createObjectNode()), 1));
    }
}
