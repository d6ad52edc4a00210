package org.mtflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProgressOptionTest {

    private static RunCommand parse(String... args) {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs(args);
        return run;
    }

    @Test
    void progressIsAutoUnlessGiven() {
        assertEquals(ProgressMode.auto, parse("flow.yaml").engine.progress);
        assertEquals(ProgressMode.bars, parse("--progress=bars", "flow.yaml").engine.progress);
        assertEquals(ProgressMode.plain, parse("--progress", "plain", "flow.yaml").engine.progress);
    }

    @Test
    void anUnknownModeIsRejected() {
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--progress=fancy", "flow.yaml"));
        assertTrue(e.getMessage().contains("auto, bars, plain"), e.getMessage());
    }

    @Test
    void autoShowsBarsOnlyOnAConsoleThatIsNotDumb() {
        assertTrue(ProgressMode.auto.showsBars(true, "xterm-256color"));
        assertTrue(ProgressMode.auto.showsBars(true, null));
        assertFalse(ProgressMode.auto.showsBars(true, "dumb"));
        assertFalse(ProgressMode.auto.showsBars(false, "xterm"));
        assertTrue(ProgressMode.bars.showsBars(false, "dumb"));
        assertFalse(ProgressMode.plain.showsBars(true, "xterm"));
    }

    @Test
    void openPicksTheViewForTheMode() {
        assumeTrue(System.console() == null, "the test JVM's output is not a terminal");
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true);
        try (ConsoleView auto = ConsoleView.open(ProgressMode.auto, out, 4);
             ConsoleView bars = ConsoleView.open(ProgressMode.bars, out, 4)) {
            assertInstanceOf(PlainConsoleView.class, auto);
            assertInstanceOf(BarsConsoleView.class, bars);
        }
    }
}
