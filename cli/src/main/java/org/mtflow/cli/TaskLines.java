package org.mtflow.cli;

import java.util.Locale;
import org.mtflow.engine.event.RunEvent;

/** The line a person watching a run reads when a task finishes, fails, retries or is skipped, or a device fails. */
final class TaskLines {
    private final String format;

    /** @param idWidth the longest task id; ids are padded to it (within 4..40) so columns line up */
    TaskLines(int idWidth) {
        this.format = "  %-8s %-" + Math.max(4, Math.min(idWidth, 40)) + "s  ";
    }

    /** The line for {@code event}, or null when the event gets none (started, progress, queued…). */
    String lineFor(RunEvent event) {
        if (event instanceof RunEvent.TaskSucceeded e) {
            return task(e.task(), "done") + String.format(Locale.ROOT, "%7.2fs  on %s", e.millis() / 1000.0, e.device());
        } else if (event instanceof RunEvent.TaskCached e) {
            return task(e.task(), "cached");
        } else if (event instanceof RunEvent.TaskFailed e) {
            return task(e.task(), e.last() ? "FAILED" : "error") + "attempt " + e.attempt() + " on " + e.device()
                    + ": " + e.error() + ": " + e.message();
        } else if (event instanceof RunEvent.TaskRetrying e) {
            return task(e.task(), "retry") + "attempt " + e.nextAttempt() + " in " + e.delayMillis() + " ms";
        } else if (event instanceof RunEvent.TaskSkipped e) {
            return task(e.task(), "skipped") + e.reason();
        } else if (event instanceof RunEvent.TaskRecovered e) {
            return task(e.task(), "resumed") + "finished in an earlier session";
        } else if (event instanceof RunEvent.TaskInvalidated e) {
            return task(e.task(), "redo") + e.reason();
        } else if (event instanceof RunEvent.DeviceDegraded e) {
            return "  device " + e.device() + " taken out of rotation: " + e.reason();
        }
        return null;
    }

    private String task(String id, String status) {
        return String.format(Locale.ROOT, format, status, id);
    }
}
