package org.mtflow.engine.run;

/**
 * How to run one workflow.
 *
 * @param runId          the run's directory name under {@code runs/}; letters, digits, '.', '_', '-'
 * @param specText       the resolved spec as text, saved as {@code runs/<id>/spec.yaml}
 * @param useCache       false to run every task even when a cached result exists
 * @param maxConcurrency the most attempts running at once, 0 for as many as the devices take
 */
public record RunOptions(String runId, String specText, boolean useCache, int maxConcurrency) {
    public RunOptions {
        RunIds.check(runId);
        if (maxConcurrency < 0) throw new IllegalArgumentException("maxConcurrency must be >= 0");
    }
}
