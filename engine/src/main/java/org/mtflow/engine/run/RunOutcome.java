package org.mtflow.engine.run;

/**
 * How a run ended: {@code succeeded} when every task succeeded, was cached, or was skipped because a
 * {@code when:} condition was false (its own or an upstream task's), {@code cancelled} when
 * it was cancelled (its unfinished tasks count as skipped), else {@code failed}.
 */
public record RunOutcome(String runId, String status, int succeeded, int cached, int failed, int skipped, long millis) {
    public boolean ok() {
        return status.equals("succeeded");
    }
}
