package org.mtflow.engine.run;

import java.util.concurrent.CompletableFuture;
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
 * @param done           completed with the outcome when the run ends
 */
public record RunPlan(String runId, WorkflowSpec spec, NodeCatalog catalog, ArtifactStore store, EventSink events,
                      boolean useCache, int maxConcurrency, int maxSpawned, int maxSpawnDepth, boolean journal,
                      boolean resumed, CompletableFuture<RunOutcome> done) {}
