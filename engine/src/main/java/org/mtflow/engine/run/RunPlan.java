package org.mtflow.engine.run;

import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.engine.store.ArtifactStore;

/**
 * What a {@link RunCoordinator} is created with. Local objects, not a message: the coordinator is
 * spawned with them on the machine that owns the run.
 *
 * @param useCache       false to ignore (but still refresh) cached results
 * @param maxConcurrency the most attempts running at once, 0 for no cap beyond the workers' slots
 * @param maxSpawned     the most subtasks the run may spawn
 * @param maxSpawnDepth  how deep spawns may nest
 * @param journal        whether the run keeps a journal (to resume from after a crash)
 * @param resumed        whether an earlier process started this run
 * @param durable        told how many of the events so far report only what the journal holds: the
 *                       event log writes no further, so a crash never leaves a line saying a task
 *                       succeeded that a resumed run would then run again
 * @param done           completed with the outcome when the run ends
 * @param localArtifacts on a cluster node: this node's artifact server (where outputs recovered or
 *                       cached here are held); null on one machine
 */
public record RunPlan(String runId, WorkflowSpec spec, NodeCatalog catalog, ArtifactStore store, EventSink events,
                      boolean useCache, int maxConcurrency, int maxSpawned, int maxSpawnDepth, boolean journal,
                      boolean resumed, LongConsumer durable, CompletableFuture<RunOutcome> done,
                      String localArtifacts) {}
