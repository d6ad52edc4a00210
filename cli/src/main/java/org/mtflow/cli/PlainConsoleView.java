package org.mtflow.cli;

import java.io.PrintStream;
import java.time.Duration;

/**
 * One line per finished, failed, retried or skipped task, as the events come, and a one-line
 * summary of the run every {@code summaryEvery} ({@code "  12/40 tasks  3 running  1 failed  0:42"}).
 * Lines are written in batches (every 200 ms, or once 64 KB are waiting), not one write per line.
 */
final class PlainConsoleView extends ConsoleView {
    private static final Duration FLUSH_EVERY = Duration.ofMillis(200);

    private final Object writing = new Object();
    private final long summaryEveryNanos;
    private long nextSummaryNanos; // timer thread only

    PlainConsoleView(PrintStream out, int idWidth, Duration summaryEvery) {
        super(out, idWidth);
        this.summaryEveryNanos = summaryEvery.toNanos();
        this.nextSummaryNanos = summaryEveryNanos;
        startTicking(summaryEvery.compareTo(FLUSH_EVERY) < 0 ? summaryEvery : FLUSH_EVERY);
    }

    @Override
    void tick() {
        Duration elapsed = elapsed();
        if (elapsed.toNanos() >= nextSummaryNanos) {
            synchronized (this) {
                addLine(tally.summary(elapsed));
            }
            nextSummaryNanos = elapsed.toNanos() + summaryEveryNanos;
        }
        flush();
    }

    @Override
    void overflow() {
        flush();
    }

    @Override
    void finish() {
        flush();
    }

    private void flush() {
        // Taking the buffer and writing it under one lock keeps batches in order.
        synchronized (writing) {
            String text;
            synchronized (this) {
                text = takePending();
            }
            if (!text.isEmpty()) {
                out.print(text);
                out.flush();
            }
        }
    }
}
