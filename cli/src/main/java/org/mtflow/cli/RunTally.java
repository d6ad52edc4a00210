package org.mtflow.cli;

import java.time.Duration;
import java.util.Locale;
import org.mtflow.engine.event.RunEvent;

/**
 * Counts a run's tasks from its events: how many there are, how many have finished (succeeded,
 * cached, failed or skipped), are running, have failed. Not thread-safe: its owner guards it.
 */
final class RunTally {
    private int total;
    private int finished;
    private int running;
    private int failed;

    void add(RunEvent event) {
        if (event instanceof RunEvent.RunStarted e) {
            // A resumed run (or one a cluster moved to another node) tells again what it recovered.
            total = e.tasks();
            finished = 0;
            running = 0;
            failed = 0;
        } else if (event instanceof RunEvent.TaskStarted) {
            running++;
        } else if (event instanceof RunEvent.TaskSucceeded) {
            stopped();
            finished++;
        } else if (event instanceof RunEvent.TaskFailed e) {
            stopped();
            if (e.last()) {
                finished++;
                failed++;
            }
        } else if (event instanceof RunEvent.TaskCached || event instanceof RunEvent.TaskSkipped
                || event instanceof RunEvent.TaskRecovered) {
            finished++;
        } else if (event instanceof RunEvent.TaskSpawned) {
            total++;
        }
        // Tasks spawned during the run were not in RunStarted's count.
        total = Math.max(total, finished + running);
    }

    private void stopped() {
        running = Math.max(0, running - 1);
    }

    int total() {
        return total;
    }

    int finished() {
        return finished;
    }

    int running() {
        return running;
    }

    int failed() {
        return failed;
    }

    /** {@code "  12/40 tasks  3 running  1 failed  0:42"} */
    String summary(Duration elapsed) {
        return String.format(Locale.ROOT, "  %d/%d tasks  %d running  %d failed  %s",
                finished, total, running, failed, clock(elapsed));
    }

    /** m:ss, or h:mm:ss from an hour on. */
    static String clock(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
