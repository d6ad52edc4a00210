package org.mtflow.cli;

import java.io.PrintStream;
import java.util.Locale;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.event.RunEvent;

/** Prints one line per task state change: what a person watching the run wants to see. */
final class ConsoleView implements EventSink {
    private final PrintStream out;
    private final int width;

    ConsoleView(PrintStream out, int idWidth) {
        this.out = out;
        this.width = Math.max(4, Math.min(idWidth, 40));
    }

    @Override
    public void accept(RunEvent event) {
        String line = null;
        if (event instanceof RunEvent.TaskSucceeded e) {
            line = task(e.task(), "done") + String.format(Locale.ROOT, "%7.2fs  on %s", e.millis() / 1000.0, e.device());
        } else if (event instanceof RunEvent.TaskCached e) {
            line = task(e.task(), "cached");
        } else if (event instanceof RunEvent.TaskFailed e) {
            line = task(e.task(), e.last() ? "FAILED" : "error") + "attempt " + e.attempt() + " on " + e.device()
                    + ": " + e.error() + ": " + e.message();
        } else if (event instanceof RunEvent.TaskRetrying e) {
            line = task(e.task(), "retry") + "attempt " + e.nextAttempt() + " in " + e.delayMillis() + " ms";
        } else if (event instanceof RunEvent.TaskSkipped e) {
            line = task(e.task(), "skipped") + e.reason();
        }
        if (line != null) {
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        }
    }

    private String task(String id, String status) {
        return String.format(Locale.ROOT, "  %-8s %-" + width + "s  ", status, id);
    }
}
