package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invalid workflows are refused before anything runs: exit code 2, one line per problem with
 * file:line:column, no stack trace, and no run directory left behind.
 */
class InvalidWorkflowTest {
    static final Path WORKFLOWS = Path.of("src/test/resources/workflows").toAbsolutePath();

    @TempDir
    Path home;

    private Cli.Result runInvalid(String file) throws Exception {
        Path path = WORKFLOWS.resolve(file);
        Cli.Result r = Cli.run("run", path.toString(), "--home", home.toString());
        assertEquals(2, r.exit(), r.toString());
        assertFalse(r.all().contains("Exception"), "no exception names: " + r);
        assertFalse(r.all().matches("(?s).*\\n\\s+at [a-z].*"), "no stack trace: " + r);
        assertFalse(Files.exists(home.resolve("runs")) && Files.list(home.resolve("runs")).findAny().isPresent(),
                "nothing may be written for an invalid workflow");
        return r;
    }

    private static void assertLine(Cli.Result r, String file, int line, int col, String... words) {
        String prefix = WORKFLOWS.resolve(file) + ":" + line + ":" + col + ": error: ";
        List<String> lines = r.err().lines().filter(l -> l.startsWith(prefix)).toList();
        assertEquals(1, lines.size(), "one line starting with " + prefix + "\n" + r);
        for (String w : words) assertTrue(lines.get(0).contains(w), "'" + w + "' in " + lines.get(0));
    }

    @Test
    void unknownKeyIsReportedWithItsPositionAndASuggestion() throws Exception {
        Cli.Result r = runInvalid("unknown-key.yaml");
        assertLine(r, "unknown-key.yaml", 7, 5, "retries", "retry");
    }

    @Test
    void unknownNodeTypeIsReportedWithASuggestion() throws Exception {
        Cli.Result r = runInvalid("unknown-type.yaml");
        assertLine(r, "unknown-type.yaml", 5, 5, "util.nop", "util.noop");
    }

    @Test
    void anOutputOfTheWrongKindIsReportedAtTheInput() throws Exception {
        Cli.Result r = runInvalid("wrong-kind.yaml");
        assertLine(r, "wrong-kind.yaml", 7, 14, "input 'dataset'", "takes a dataset", "weights.tensor is a tensor");
    }

    @Test
    void cycleIsReported() throws Exception {
        Cli.Result r = runInvalid("cycle.yaml");
        assertTrue(r.err().lines().anyMatch(l -> l.matches(".*cycle\\.yaml:[345]:\\d+: error: cycle: .*")), r.toString());
        String cycleLine = r.err().lines().filter(l -> l.contains("cycle:")).findFirst().orElseThrow();
        for (String t : List.of("a", "b", "c")) assertTrue(cycleLine.contains(t), cycleLine);
    }

    @Test
    void missingInputsAreReported() throws Exception {
        Cli.Result r = runInvalid("missing-input.yaml");
        assertLine(r, "missing-input.yaml", 6, 33, "unknown task 'z'");
        assertLine(r, "missing-input.yaml", 7, 3, "needs input 'b'");
    }

    @Test
    void everyProblemIsReportedNotOnlyTheFirst() throws Exception {
        Cli.Result r = runInvalid("all-wrong.yaml");
        assertLine(r, "all-wrong.yaml", 3, 49, "colour");
        assertLine(r, "all-wrong.yaml", 4, 7, "util.sume", "util.sum");
        assertLine(r, "all-wrong.yaml", 7, 33, "nowhere");
        assertTrue(r.err().contains("cycle:"), r.toString());
    }

    @Test
    void validateChecksWithoutRunning() throws Exception {
        Cli.Result bad = Cli.run("validate", WORKFLOWS.resolve("cycle.yaml").toString());
        assertEquals(2, bad.exit(), bad.toString());
        Cli.Result good = Cli.run("validate", Cli.REPO.resolve("samples/hello.yaml").toString());
        assertEquals(0, good.exit(), good.toString());
        assertTrue(good.out().contains("valid"), good.toString());
    }

    @Test
    void badParamOverrideIsInvalidInput() throws Exception {
        Cli.Result r = Cli.run("run", Cli.REPO.resolve("samples/hello.yaml").toString(), "--home", home.toString(),
                "--param", "sise=3");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("sise") && r.err().contains("size"), r.toString());
        Cli.Result id = Cli.run("run", Cli.REPO.resolve("samples/hello.yaml").toString(), "--home", home.toString(),
                "--run-id", "../escape");
        assertEquals(2, id.exit(), id.toString());
    }

    @Test
    void missingFileIsInvalidInput() throws Exception {
        Cli.Result r = Cli.run("run", WORKFLOWS.resolve("nope.yaml").toString(), "--home", home.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("nope.yaml"), r.toString());
    }
}
