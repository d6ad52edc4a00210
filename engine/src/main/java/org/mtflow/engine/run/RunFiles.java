package org.mtflow.engine.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.mtflow.engine.event.EventLog;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.event.RunEvent;
import org.mtflow.engine.event.RunReport;

/**
 * A run's {@code events.jsonl} and {@code report.json}, fed by its event stream. Writing a line per
 * event or the whole report per state change would make a run of many small tasks quadratic, so
 * both are brought up to date by {@link #flush}: the engine calls it a few times a second, and the
 * last event of a run flushes at once. A resumed run folds the earlier sessions' events into its
 * report first, so one report tells the whole story.
 */
final class RunFiles implements EventSink, AutoCloseable {
    /** A big report takes a while to write; never spend more than about a tenth of the time on it. */
    private static final long MIN_REPORT_INTERVAL_NANOS = 500_000_000L;

    private final EventLog log;
    private final RunReport report;
    private final Path reportFile;
    private boolean reportDirty;
    private long nextReportNanos;
    private long lastWriteNanos;

    RunFiles(Path dir, List<String> taskIds) throws IOException {
        Path events = dir.resolve("events.jsonl");
        this.report = new RunReport(taskIds);
        for (RunEvent e : EventLog.read(events)) report.accept(e);
        this.log = new EventLog(events);
        this.reportFile = dir.resolve("report.json");
    }

    /** Whether an earlier session of this run left events. */
    boolean resumed() {
        return report.report().sessions > 0;
    }

    @Override
    public void accept(RunEvent event) {
        log.accept(event);
        report.accept(event);
        synchronized (this) {
            if (!(event instanceof RunEvent.TaskProgress)) reportDirty = true;
        }
        if (event instanceof RunEvent.RunStarted || event instanceof RunEvent.RunFinished) flush(true);
    }

    /** Writes what is buffered; the report only when it changed and its interval has passed (or {@code now}). */
    synchronized void flush(boolean now) {
        try {
            log.flush();
            long t = System.nanoTime();
            if (reportDirty && (now || t - nextReportNanos >= 0)) {
                reportDirty = false;
                report.write(reportFile);
                lastWriteNanos = System.nanoTime() - t;
                nextReportNanos = System.nanoTime() + Math.max(MIN_REPORT_INTERVAL_NANOS, 10 * lastWriteNanos);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the files of run " + report.report().run, e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }
}
