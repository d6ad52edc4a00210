package org.mtflow.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mtflow.cli.Events.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlainConsoleViewTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, UTF_8);

    private List<String> lines() {
        return bytes.toString(UTF_8).lines().toList();
    }

    @Test
    void printsOneLinePerFinishedFailedRetriedOrSkippedTask() {
        PlainConsoleView view = new PlainConsoleView(out, 5, Duration.ofHours(1));
        view.accept(started(4));
        view.accept(queued("a"));
        view.accept(taskStarted("a", 1));
        view.accept(progress("a", 0.5, "half"));
        view.accept(succeeded("a", 1234));
        view.accept(cached("b"));
        view.accept(taskStarted("train", 1));
        view.accept(failed("train", 1, false));
        view.accept(retrying("train", 2, 500));
        view.accept(taskStarted("train", 2));
        view.accept(failed("train", 2, true));
        view.accept(skipped("d", "train"));
        view.accept(finished("failed", 1, 1, 1, 1));

        assertEquals(List.of(
                "  done     a         1.23s  on jvm",
                "  cached   b      ",
                "  error    train  attempt 1 on jvm: IOException: disk full",
                "  retry    train  attempt 2 in 500 ms",
                "  FAILED   train  attempt 2 on jvm: IOException: disk full",
                "  skipped  d      input from 'train' failed"), lines());
        assertEquals(0, view.failures.get());
    }

    @Test
    void writesNothingAfterRunFinished() {
        PlainConsoleView view = new PlainConsoleView(out, 4, Duration.ofHours(1));
        view.accept(started(2));
        view.accept(cached("a"));
        view.accept(finished("succeeded", 0, 1, 0, 0));
        view.accept(cached("b"));
        view.close();

        assertEquals(List.of("  cached   a     "), lines());
    }

    @Test
    void printsARunSummaryEverySoOften() {
        try (PlainConsoleView view = new PlainConsoleView(out, 4, Duration.ofMillis(20))) {
            view.accept(started(3));
            view.accept(taskStarted("a", 1));
            view.accept(succeeded("a", 10));
            view.accept(taskStarted("b", 1));
            view.accept(taskStarted("c", 1));
            view.accept(failed("c", 1, true));

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> lines().contains("  2/3 tasks  1 running  1 failed  0:00"));
        }
        assertEquals("  done     a        0.01s  on jvm", lines().get(0));
    }

    @Test
    void summaryCountsFinishedTasksAndFormatsTheClock() {
        RunTally tally = new RunTally();
        tally.add(started(40));
        for (int i = 0; i < 12; i++) tally.add(cached("t" + i));
        tally.add(taskStarted("x", 1));
        tally.add(failed("x", 1, true));
        for (int i = 0; i < 3; i++) tally.add(taskStarted("r" + i, 1));

        assertEquals("  13/40 tasks  3 running  1 failed  0:42", tally.summary(Duration.ofSeconds(42)));
        assertEquals("1:02:03", RunTally.clock(Duration.ofSeconds(3723)));
        assertEquals("10:00", RunTally.clock(Duration.ofMinutes(10)));
    }
}
