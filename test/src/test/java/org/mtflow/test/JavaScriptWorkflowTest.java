package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.dsl.WorkflowScript;
import org.mtflow.nodes.BuiltinNodes;

/** Java DSL scripts: samples/hello.java is samples/hello.yaml, and the real command runs and checks scripts. */
class JavaScriptWorkflowTest {
    private static final Path HELLO_JAVA = Cli.REPO.resolve("samples/hello.java");
    private static final Path HELLO_YAML = Cli.REPO.resolve("samples/hello.yaml");

    @TempDir
    Path dir;

    @Test
    void helloJavaGivesTheSameSpecAsHelloYaml() throws Exception {
        String size = Integer.toString(1 + new Random().nextInt(4096));
        for (Map<String, String> params : List.of(Map.<String, String>of(), Map.of("size", size))) {
            LoadedWorkflow java = WorkflowScript.load(HELLO_JAVA, params, BuiltinNodes.catalog(), null);
            LoadedWorkflow yaml = WorkflowLoader.load(HELLO_YAML, params, BuiltinNodes.catalog(), null);
            assertEquals(yaml.spec(), java.spec(), params.toString());
            assertEquals(yaml.resolvedYaml(), java.resolvedYaml(), params.toString());
        }
    }

    @Test
    void sweepJavaGivesTheSameSpecAsSweepYamlAndRuns() throws Exception {
        Path java = Cli.REPO.resolve("samples/sweep.java"), yaml = Cli.REPO.resolve("samples/sweep.yaml");
        String n = Integer.toString(2 + new Random().nextInt(62));
        for (Map<String, String> params : List.of(Map.<String, String>of(), Map.of("n", n))) {
            LoadedWorkflow fromJava = WorkflowScript.load(java, params, BuiltinNodes.catalog(), null);
            LoadedWorkflow fromYaml = WorkflowLoader.load(yaml, params, BuiltinNodes.catalog(), null);
            assertEquals(fromYaml.spec(), fromJava.spec(), params.toString());
            assertEquals(List.of("part[0]", "part[1]", "part[2]", "total", "square", "fast"),
                    fromYaml.spec().tasks().stream().map(t -> t.id()).toList());
        }
        for (Path file : List.of(yaml, java)) {
            String id = file.getFileName().toString().replace('.', '-');
            Cli.Result run = Cli.run("run", file.toString(), "--home", dir.toString(), "--run-id", id, "--param", "n=" + n);
            assertEquals(0, run.exit(), run.toString());
            JsonNode tasks = new ObjectMapper().readTree(dir.resolve("runs/" + id + "/report.json").toFile()).path("tasks");
            // The Java script's run finds every result of the YAML file's in the cache: the same tasks.
            String done = file == yaml ? "succeeded" : "cached";
            for (String task : List.of("part[0]", "part[1]", "part[2]", "total", "square")) {
                assertEquals(done, tasks.path(task).path("status").asText(), task + " " + tasks);
            }
            // fast ran or was skipped by its condition, never failed.
            assertTrue(List.of("succeeded", "skipped").contains(tasks.path("fast").path("status").asText()), tasks.toString());
        }
    }

    @Test
    void mergeSearchJavaGivesTheSameSpecAsMergeSearchYaml() throws Exception {
        Path java = Cli.REPO.resolve("samples/merge-search.java"), yaml = Cli.REPO.resolve("samples/merge-search.yaml");
        String candidates = Integer.toString(1 + new Random().nextInt(64));
        for (Map<String, String> params : List.of(Map.<String, String>of(), Map.of("candidates", candidates, "policy", "random"))) {
            LoadedWorkflow fromJava = WorkflowScript.load(java, params, BuiltinNodes.catalog(), null);
            LoadedWorkflow fromYaml = WorkflowLoader.load(yaml, params, BuiltinNodes.catalog(), null);
            assertEquals(fromYaml.spec(), fromJava.spec(), params.toString());
        }
    }

    @Test
    void helloJavaRunsThroughTheCommandAsHelloYamlDoes() throws Exception {
        Cli.Result run = Cli.run("run", HELLO_JAVA.toString(), "--home", dir.toString(), "--run-id", "java",
                "--param", "size=64");
        assertEquals(0, run.exit(), run.toString());
        JsonNode report = new ObjectMapper().readTree(dir.resolve("runs/java/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText(), report.toPrettyString());
        for (String task : List.of("fashion", "stats", "a", "b", "product")) {
            assertEquals("succeeded", report.path("tasks").path(task).path("status").asText(), task);
        }
        assertEquals(60000, report.path("tasks").path("stats").path("metrics").path("train").path("examples").asInt());
        String recorded = Files.readString(dir.resolve("runs/java/spec.yaml"));
        assertEquals(WorkflowLoader.load(HELLO_YAML, Map.of("size", "64"), BuiltinNodes.catalog(), null).resolvedYaml(), recorded);
    }

    @Test
    void validateReportsCompileErrorsAndWrongWiringAtTheScriptLineAndExits2() throws Exception {
        String hello = Files.readString(HELLO_JAVA);
        Path broken = dir.resolve("study.java");
        Files.writeString(broken, hello.replace("int size = params.integer(\"size\", 512);", "int size = params.integer(\"size\", 512)"));
        int line = lineOf(hello, "int size = ");
        Cli.Result compile = Cli.run("validate", broken.toString(), "--no-devices");
        assertEquals(2, compile.exit(), compile.toString());
        assertTrue(compile.err().lines().anyMatch(l -> l.matches(java.util.regex.Pattern.quote(broken + ":" + line + ":")
                + "\\d+: error: ';' expected")), compile.toString());

        Path wrong = dir.resolve("wrong.java");
        Files.writeString(wrong, hello.replace("a.out(\"tensor\")", "a.out(\"tensors\")"));
        Cli.Result wiring = Cli.run("validate", wrong.toString(), "--no-devices");
        assertEquals(2, wiring.exit(), wiring.toString());
        assertEquals(wrong + ":" + lineOf(hello, "a.out(\"tensor\")")
                + ": error: task 'a' (util.random) has no output 'tensors' (did you mean 'tensor'?)\n", wiring.err());

        Cli.Result good = Cli.run("validate", HELLO_JAVA.toString(), "--no-devices", "--param", "size=8");
        assertEquals(0, good.exit(), good.toString());
        assertTrue(good.out().startsWith(HELLO_JAVA + ": valid (5 tasks)\n"), good.out());
        assertTrue(good.out().contains("product  util.matmul         a <- a.tensor; b <- b.tensor"), good.out());
    }

    private static int lineOf(String text, String part) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(part)) return i + 1;
        throw new AssertionError(part + " is not in the sample");
    }
}
