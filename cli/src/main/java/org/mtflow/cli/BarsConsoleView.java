package org.mtflow.cli;

import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.mtflow.engine.event.RunEvent;

/**
 * Live progress bars at the bottom of the terminal: one for the run (tasks finished / total,
 * elapsed time and ETA) and one per running task (its progress fraction and message), with the
 * task lines of {@link PlainConsoleView} printed above them.
 *
 * <p>The bars are the progress-bar library's: it renders each one on its own timer. It would also
 * print them, but a line printed between its redraws would land inside the bars; so each bar hands
 * its rendering to a {@link Rendered} slot and this view's timer draws the whole bottom of the
 * screen at once: up over the old bars, the new lines, then the bars again. Bars are made and closed
 * on the timer thread, for the tasks running at that moment (a task that starts and ends between two
 * ticks never gets one), at most {@code maxTaskBars} of them.
 */
final class BarsConsoleView extends ConsoleView {
    private static final String ESC = "\u001b[";
    private static final Duration TICK = Duration.ofMillis(200);

    private final int width;
    private final int maxTaskBars;
    private final int nameWidth;
    private final int tickMillis;
    private final ProgressBarStyle style;
    // Guarded by this: the running tasks in start order, as the events tell.
    private final Map<String, Running> running = new LinkedHashMap<>();
    // Timer thread only (and finish(), after the last tick):
    private ProgressBar runBar;
    private Rendered runLine;
    private final Map<String, Bar> taskBars = new LinkedHashMap<>();
    private int barLines;

    /** A view sized to the terminal that runs this JVM. */
    static BarsConsoleView onTerminal(PrintStream out, int idWidth) {
        int width = 80;
        int height = 24;
        try (Terminal t = TerminalBuilder.builder().dumb(true).build()) {
            // A dumb terminal says 0 (or nonsense under some IDEs): keep the defaults then.
            if (t.getWidth() >= 20) width = t.getWidth();
            if (t.getHeight() >= 5) height = t.getHeight();
        } catch (Exception e) {
            // No size to be had: draw for 80x24.
        }
        return new BarsConsoleView(out, idWidth, width, Math.min(8, height - 4), TICK);
    }

    BarsConsoleView(PrintStream out, int idWidth, int width, int maxTaskBars, Duration tick) {
        super(out, idWidth);
        this.width = width;
        this.maxTaskBars = Math.max(1, maxTaskBars);
        this.nameWidth = Math.max(3, Math.min(idWidth, 40));
        this.tickMillis = (int) Math.max(1, tick.toMillis());
        this.style = Charset.defaultCharset().equals(StandardCharsets.UTF_8)
                ? ProgressBarStyle.UNICODE_BLOCK : ProgressBarStyle.ASCII;
        startTicking(tick);
    }

    @Override
    void track(RunEvent event) {
        if (event instanceof RunEvent.TaskStarted e) {
            running.put(e.task(), new Running());
        } else if (event instanceof RunEvent.TaskProgress e) {
            Running r = running.get(e.task());
            if (r != null) {
                r.fraction = e.fraction();
                r.message = e.message();
            }
        } else if (event instanceof RunEvent.TaskSucceeded e) {
            running.remove(e.task());
        } else if (event instanceof RunEvent.TaskFailed e) {
            running.remove(e.task());
        }
    }

    @Override
    void tick() {
        draw(false);
    }

    @Override
    void finish() {
        draw(true);
    }

    /** The number of progress bars open now (the run's and the tasks'). */
    int openBars() {
        return (runBar == null ? 0 : 1) + taskBars.size();
    }

    private void draw(boolean last) {
        String lines;
        List<Shown> shown = new ArrayList<>();
        int total;
        int finished;
        int runningNow;
        int failed;
        synchronized (this) {
            lines = takePending();
            if (!last) {
                for (Map.Entry<String, Running> e : running.entrySet()) {
                    if (shown.size() == maxTaskBars) break;
                    shown.add(new Shown(e.getKey(), e.getValue().fraction, e.getValue().message));
                }
            }
            total = tally.total();
            finished = tally.finished();
            runningNow = tally.running();
            failed = tally.failed();
        }
        boolean fresh = runBar == null;
        if (fresh) {
            runLine = new Rendered(width - 1);
            runBar = bar("run", total, runLine);
        }
        runBar.maxHint(total);
        runBar.stepTo(finished);
        runBar.setExtraMessage(runningNow + " running, " + failed + " failed");
        if (fresh) runBar.refresh(); // its first rendering now, not on the library's next tick
        updateTaskBars(shown);

        StringBuilder frame = new StringBuilder(lines.length() + (maxTaskBars + 2) * width);
        if (barLines > 0) frame.append(ESC).append(barLines).append('A');
        frame.append('\r').append(ESC).append('J').append(lines);
        if (last) {
            runBar.close(); // renders it one last time: the run's final line stays on screen
            runBar = null;
            frame.append(runLine.text()).append('\n');
            barLines = 0;
        } else {
            frame.append(runLine.text()).append('\n');
            for (Bar b : taskBars.values()) frame.append(b.line.text()).append('\n');
            barLines = 1 + taskBars.size();
            if (runningNow > taskBars.size()) {
                frame.append("  ... and ").append(runningNow - taskBars.size()).append(" more running\n");
                barLines++;
            }
        }
        out.print(frame);
        out.flush();
    }

    /** Closes the bars of tasks no longer shown, opens the new ones, moves them all on. */
    private void updateTaskBars(List<Shown> shown) {
        Set<String> ids = new HashSet<>();
        for (Shown s : shown) ids.add(s.id);
        for (Iterator<Map.Entry<String, Bar>> it = taskBars.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Bar> e = it.next();
            if (!ids.contains(e.getKey())) {
                e.getValue().bar.close();
                it.remove();
            }
        }
        for (Shown s : shown) {
            Bar b = taskBars.get(s.id);
            boolean fresh = b == null;
            if (fresh) {
                Rendered line = new Rendered(width - 1);
                b = new Bar(bar(s.id, 100, line), line);
                taskBars.put(s.id, b);
            }
            b.bar.stepTo(Math.round(s.fraction * 100));
            b.bar.setExtraMessage(s.message == null ? "" : s.message);
            if (fresh) b.bar.refresh(); // its first rendering now, not on the library's next tick
        }
    }

    private ProgressBar bar(String name, long max, Rendered line) {
        String shortName = name.length() > nameWidth ? name.substring(0, nameWidth - 1) + "~" : name;
        return new ProgressBarBuilder()
                .setTaskName(String.format("%-" + nameWidth + "s", shortName))
                .setInitialMax(max)
                .setStyle(style)
                .setUpdateIntervalMillis(tickMillis)
                .continuousUpdate()
                .setConsumer(line)
                .build();
    }

    /** A running task as the events tell; guarded by the view. */
    private static final class Running {
        double fraction;
        String message;
    }

    private record Shown(String id, double fraction, String message) {}

    private record Bar(ProgressBar bar, Rendered line) {}

    /** Keeps a bar's latest rendering for the view to draw, instead of printing it. */
    private static final class Rendered implements ProgressBarConsumer {
        private final int width;
        private volatile String text = "";

        Rendered(int width) {
            this.width = width;
        }

        String text() {
            return text;
        }

        @Override
        public int getMaxRenderedLength() {
            return width;
        }

        @Override
        public void accept(String rendered) {
            text = rendered;
        }

        @Override
        public void close() {}
    }
}
