package org.mtflow.cli;

import java.time.Instant;
import java.util.Map;
import org.mtflow.engine.event.RunEvent;

/** Synthetic events of one run, for the console view tests. */
final class Events {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private static final String RUN = "r1";

    private Events() {}

    static RunEvent started(int tasks) {
        return new RunEvent.RunStarted(T, RUN, "flow", 7, tasks, false);
    }

    static RunEvent queued(String task) {
        return new RunEvent.TaskQueued(T, RUN, task);
    }

    static RunEvent taskStarted(String task, int attempt) {
        return new RunEvent.TaskStarted(T, RUN, task, attempt, "jvm");
    }

    static RunEvent progress(String task, double fraction, String message) {
        return new RunEvent.TaskProgress(T, RUN, task, fraction, message);
    }

    static RunEvent succeeded(String task, long millis) {
        return new RunEvent.TaskSucceeded(T, RUN, task, 1, "jvm", Map.of("out", "ab12"), null, millis);
    }

    static RunEvent cached(String task) {
        return new RunEvent.TaskCached(T, RUN, task, Map.of("out", "cd34"), null);
    }

    static RunEvent failed(String task, int attempt, boolean last) {
        return new RunEvent.TaskFailed(T, RUN, task, attempt, "jvm", "IOException", "disk full", last);
    }

    static RunEvent retrying(String task, int nextAttempt, long delayMillis) {
        return new RunEvent.TaskRetrying(T, RUN, task, nextAttempt, delayMillis);
    }

    static RunEvent skipped(String task, String cause) {
        return new RunEvent.TaskSkipped(T, RUN, task, "input from '" + cause + "' failed", cause);
    }

    static RunEvent finished(String status, int succeeded, int cached, int failed, int skipped) {
        return new RunEvent.RunFinished(T, RUN, status, succeeded, cached, failed, skipped, 1500);
    }
}
