package org.mtflow.engine.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
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
 * last event of a run flushes at once. The log holds back events that report what the run journal
 * does not hold yet, so after a crash it never claims more than a resumed run will find. A resumed run folds the earlier sessions' events into its
 * report first, so one report tells the whole story.
 */
final class RunFiles implements EventSink, AutoCloseable {
    /** A big report takes a while to write (and a core the run could use): at most about 1/30 of the time on it. */
    private static final long MIN_REPORT_INTERVAL_NANOS = 500_000_000L;

    private final EventLog log;
    /** Event lines not yet in the log: past {@link #durable}, they wait for the journal. */
    private final ArrayDeque<RunEvent> pending = new ArrayDeque<>();
    private long logged;
    private long durable;
    private boolean closed;
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
        report.accept(event);
        synchronized (this) {
            pending.add(event); // written as JSON at flush, off the coordinator's thread
            if (!(event instanceof RunEvent.TaskProgress)) reportDirty = true;
            if (event instanceof RunEvent.RunFinished) durable = Long.MAX_VALUE; // the journal is complete
        }
        if (event instanceof RunEvent.RunFinished) flush(true);
    }

    /** The first {@code count} events report only what the run journal holds: they may be logged. */
    synchronized void durableUpTo(long count) {
        durable = Math.max(durable, count);
    }

    /** Writes what is buffered; the report only when it changed and its interval has passed (or {@code now}). */
    synchronized void flush(boolean now) {
        if (closed) return; // the engine's flusher may still hold a run that just ended
        try {
            while (logged < durable && !pending.isEmpty()) {
                log.accept(pending.poll());
                logged++;
            }
            log.flush();
            long t = System.nanoTime();
            if (reportDirty && (now || t - nextReportNanos >= 0)) {
                reportDirty = false;
                report.write(reportFile);
                lastWriteNanos = System.nanoTime() - t;
                nextReportNanos = System.nanoTime() + Math.max(MIN_REPORT_INTERVAL_NANOS, 30 * lastWriteNanos);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the files of run " + report.report().run, e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        log.close();
    }
}
