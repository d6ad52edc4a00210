package org.mtflow.engine.run;

/**
 * How to run one workflow.
 *
 * @param runId          the run's directory name under {@code runs/}; letters, digits, '.', '_', '-'
 * @param specText       the resolved spec as text, saved as {@code runs/<id>/spec.yaml}
 * @param useCache       false to run every task even when a cached result exists
 * @param maxConcurrency the most attempts running at once, 0 for as many as the devices take
 * @param maxSpawned     the most subtasks the run's tasks may spawn, all together
 * @param maxSpawnDepth  how deep spawns may nest (a declared task is depth 0, its subtasks 1, ...)
 */
public record RunOptions(String runId, String specText, boolean useCache, int maxConcurrency, int maxSpawned,
                         int maxSpawnDepth) {
    public static final int DEFAULT_MAX_SPAWNED = 100_000;
    public static final int DEFAULT_MAX_SPAWN_DEPTH = 8;

    public RunOptions {
        RunIds.check(runId);
        if (maxConcurrency < 0) throw new IllegalArgumentException("maxConcurrency must be >= 0");
        if (maxSpawned < 0) throw new IllegalArgumentException("maxSpawned must be >= 0");
        if (maxSpawnDepth < 0) throw new IllegalArgumentException("maxSpawnDepth must be >= 0");
    }

    public RunOptions(String runId, String specText, boolean useCache, int maxConcurrency) {
        this(runId, specText, useCache, maxConcurrency, DEFAULT_MAX_SPAWNED, DEFAULT_MAX_SPAWN_DEPTH);
    }
}
