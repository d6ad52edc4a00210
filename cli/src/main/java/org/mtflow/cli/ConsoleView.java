package org.mtflow.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.mtflow.engine.event.EventSink;
import org.mtflow.engine.event.RunEvent;

/**
 * What a person watching a run sees: plain lines ({@link PlainConsoleView}) or live progress bars
 * ({@link BarsConsoleView}). The engine may deliver ~100k events/s, from whichever thread runs the
 * coordinator, so {@link #accept} only updates counters and a text buffer under a lock (O(1));
 * everything is written to the console from a timer thread, a few times a second. A view closes
 * itself at RunFinished; {@link #close} is safe to call again.
 */
abstract class ConsoleView implements EventSink, AutoCloseable {
    /** Past this many buffered chars, a view may write them out from the event thread. */
    static final int FLUSH_AT = 64 * 1024;
    static final String NL = System.lineSeparator();

    /** Opens the view {@code mode} asks for: bars only on a terminal, unless asked for. */
    static ConsoleView open(ProgressMode mode, PrintStream out, int idWidth) {
        return mode.showsBars(System.console() != null, System.getenv("TERM"))
                ? BarsConsoleView.onTerminal(out, idWidth)
                : new PlainConsoleView(out, idWidth, Duration.ofSeconds(5));
    }

    final PrintStream out;
    private final TaskLines lines;
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mtflow-console");
        t.setDaemon(true);
        return t;
    });
    // Guarded by this:
    final RunTally tally = new RunTally();
    private StringBuilder pending = new StringBuilder();
    private boolean closed;
    /** Ticks (or the last drawing) that threw: each was reported on stderr and skipped. */
    final AtomicInteger failures = new AtomicInteger();

    ConsoleView(PrintStream out, int idWidth) {
        this.out = out;
        this.lines = new TaskLines(idWidth);
    }

    /** Subclasses call this last in their constructor, so no tick sees a half-built view. */
    final void startTicking(Duration every) {
        long ms = Math.max(1, every.toMillis());
        ticker.scheduleWithFixedDelay(this::safeTick, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public final void accept(RunEvent event) {
        boolean full;
        synchronized (this) {
            if (closed) return;
            tally.add(event);
            String line = lines.lineFor(event);
            if (line != null) pending.append(line).append(NL);
            track(event);
            full = pending.length() >= FLUSH_AT;
        }
        if (event instanceof RunEvent.RunFinished) close();
        else if (full) overflow();
    }

    /** Follows one event, under this view's lock; must be O(1). */
    void track(RunEvent event) {}

    /** Runs every tick on the view's timer thread. */
    abstract void tick();

    /** The buffer passed {@link #FLUSH_AT} chars; called on the event thread. */
    void overflow() {}

    /** Writes the last of the output; called once, after the last tick. */
    abstract void finish();

    /** Adds a line to the buffer (from the timer thread: the event side adds its own). */
    final synchronized void addLine(String line) {
        pending.append(line).append(NL);
    }

    /** The buffered text, emptying the buffer. Callers hold this view's lock. */
    final String takePending() {
        String text = pending.toString();
        // Don't keep a buffer a burst of events blew up.
        if (pending.capacity() > 4 * FLUSH_AT) pending = new StringBuilder();
        else pending.setLength(0);
        return text;
    }

    final Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    @Override
    public final void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        ticker.shutdown();
        try {
            ticker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            finish();
        } catch (RuntimeException e) {
            // At RunFinished this runs on the coordinator: a display bug must not break the run.
            failures.incrementAndGet();
            System.err.println("warning: the console view failed: " + e);
        }
    }

    private void safeTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            // Keep ticking: a scheduled task that throws is never run again.
            failures.incrementAndGet();
            System.err.println("warning: the console view failed: " + e);
        }
    }
}
