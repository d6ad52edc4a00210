package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.spec.SpecException;

/** Java scripts: compiled in memory, run for their Workflow, every error at the script's line. */
class WorkflowScriptTest {
    static final String STUDY = """
            import java.util.List;
            import org.mtflow.dsl.*;

            class Study {
                public static Workflow workflow(Params params) {
                    int n = params.integer("n", 3);
                    Workflow w = Workflow.named("study").seed(5).params(params);
                    Task a = w.task("a", "t.source").with("shape", List.of(n, n));
                    w.task("s", "t.sum").inputs("values", List.of(a.out("%s")));
                    return w;
                }
            }
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void aScriptGivesItsWorkflowWithParamsOverriddenAndLeavesNoClassFiles() throws Exception {
        int n = 1 + new Random().nextInt(1000);
        Path file = write("study.java", STUDY.formatted("tensor"));
        LoadedWorkflow w = WorkflowScript.load(file, Map.of("n", Integer.toString(n)), TestNodes.catalog(), null);
        assertEquals(file, w.source());
        assertEquals("{\"n\":" + n + "}", w.spec().params().toString());
        assertEquals("[" + n + "," + n + "]", w.spec().task("a").orElseThrow().with().get("shape").toString());
        assertEquals(WorkflowLoader.load(w.resolvedYaml(), "r.yaml", Map.of(), TestNodes.catalog(), null).spec(), w.spec());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        SpecException unknown = assertThrows(SpecException.class,
                () -> WorkflowScript.load(file, Map.of("m", "1"), TestNodes.catalog(), null));
        assertEquals(List.of(file + ": error: unknown param 'm' (given by --param) (did you mean 'n'?)"), unknown.lines());
    }

    @Test
    void aWrongOutputNameInAScriptNamesTheScriptLine() throws Exception {
        Path file = write("study.java", STUDY.formatted("tensr"));
        SpecException e = assertThrows(SpecException.class, () -> WorkflowScript.load(file, Map.of(), TestNodes.catalog(), null));
        assertEquals(List.of(file + ":9: error: task 'a' (t.source) has no output 'tensr' (did you mean 'tensor'?)"), e.lines());
    }

    @Test
    void compileErrorsAreReportedWithLineAndColumn() throws Exception {
        Path file = write("study.java", STUDY.formatted("tensor").replace("int n = ", "int n = undefined + "));
        SpecException e = assertThrows(SpecException.class, () -> WorkflowScript.load(file, Map.of(), TestNodes.catalog(), null));
        assertEquals(List.of(file + ":6:17: error: cannot find symbol (symbol: variable undefined, location: class Study)"),
                e.lines());
    }

    @Test
    void whatTheScriptThrowsIsReportedAtItsLine() throws Exception {
        Path file = write("study.java", STUDY.formatted("tensor").replace("return w;", "throw new IllegalStateException(\"no data\");"));
        SpecException e = assertThrows(SpecException.class, () -> WorkflowScript.load(file, Map.of(), TestNodes.catalog(), null));
        assertEquals(List.of(file + ":10: error: the script threw java.lang.IllegalStateException: no data"), e.lines());

        Path study = write("study.java", STUDY.formatted("tensor"));
        SpecException bad = assertThrows(SpecException.class,
                () -> WorkflowScript.load(study, Map.of("n", "many"), TestNodes.catalog(), null));
        assertEquals(List.of(study + ":6: error: --param n=many: param 'n' is an integer (a 32-bit int) (its default is 3)"),
                bad.lines());
    }

    @Test
    void aScriptWithoutOneEntryMethodSaysWhatToAdd() throws Exception {
        Path file = write("empty.java", "class Empty { static int workflow() { return 1; } }\n");
        SpecException e = assertThrows(SpecException.class, () -> WorkflowScript.load(file, Map.of(), TestNodes.catalog(), null));
        assertEquals(1, e.lines().size());
        assertTrue(e.lines().get(0).startsWith(file + ": error: the script declares no public static Workflow workflow("),
                e.lines().get(0));
    }
}
