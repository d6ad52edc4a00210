package org.mtflow.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.cli.Events.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BarsConsoleViewTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, UTF_8);

    /** The output as a screen log: cursor moves and clears dropped, one entry per line. */
    private List<String> lines() {
        return bytes.toString(UTF_8).replaceAll("\u001b\\[[0-9]*[AJK]", "").replace("\r", "").lines().toList();
    }

    @Test
    void drawsARunBarAndTaskBarsThenLeavesTheLinesAndTheFinalRunBar() {
        BarsConsoleView view = new BarsConsoleView(out, 5, 100, 8, Duration.ofMillis(20));
        view.accept(started(3));
        view.accept(taskStarted("train", 1));
        view.accept(progress("train", 0.5, "epoch 5/10"));

        await().atMost(Duration.ofSeconds(10)).until(() -> lines().stream()
                .anyMatch(l -> l.startsWith("train  50%") && l.endsWith(") epoch 5/10")));
        assertTrue(lines().stream().anyMatch(l -> l.startsWith("run     0%") && l.contains("0/3")), lines()::toString);

        view.accept(succeeded("train", 2000));
        view.accept(cached("b"));
        view.accept(taskStarted("c", 1));
        view.accept(failed("c", 1, true));
        view.accept(finished("failed", 1, 1, 1, 0));

        List<String> lines = lines();
        assertTrue(lines.contains("  done     train     2.00s  on jvm"), lines::toString);
        assertTrue(lines.contains("  cached   b      "), lines::toString);
        assertTrue(lines.contains("  FAILED   c      attempt 1 on jvm: IOException: disk full"), lines::toString);
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("run   100%") && last.contains("3/3") && last.endsWith(") 0 running, 1 failed"), last);
        assertTrue(last.length() < 100, last);
        assertEquals(0, view.openBars());
        assertEquals(0, view.failures.get());
    }

    @Test
    void showsAtMostSoManyTaskBarsAndCountsTheRest() {
        try (BarsConsoleView view = new BarsConsoleView(out, 4, 80, 2, Duration.ofMillis(20))) {
            view.accept(started(5));
            for (int i = 0; i < 5; i++) view.accept(taskStarted("t" + i, 1));

            await().atMost(Duration.ofSeconds(10)).until(() -> lines().contains("  ... and 3 more running"));
            assertEquals(3, view.openBars());
        }
        assertTrue(lines().get(lines().size() - 1).startsWith("run "), lines()::toString);
    }
}
