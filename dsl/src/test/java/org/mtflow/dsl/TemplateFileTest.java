package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.spec.SpecException;

/** {@code with: {template: {uses: FILE, with: {...}}}}: the loader puts the file's tasks there, as agent.search receives them. */
class TemplateFileTest {

    /** A node type with a template param, as agent.search has (the nodes module is not a dependency here). */
    static final class TemplateTaker implements NodeType<TemplateTaker.Params> {
        record Params(@Doc("the template") JsonNode template) {}

        @Override public String name() { return "t.search"; }
        @Override public String description() { return "takes a template"; }
        @Override public Class<Params> paramsType() { return Params.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(); }
        @Override public void run(TaskContext<Params> ctx) {}
    }

    private static NodeCatalog catalog() {
        List<NodeType<?>> all = new ArrayList<>(WorkflowLoaderTest.CATALOG.all());
        all.add(new TemplateTaker());
        return new NodeCatalog(all);
    }

    private static final String TEMPLATE = """
            params: {width: 3}
            tasks:
              gen: {type: t.source, with: {shape: ["${params.width}", "${candidate.n}"], note: "n=${candidate.n}"}}
              score: {type: t.noop, inputs: {x: gen.tensor}}
            """;

    @Test
    void theTemplateFilesTasksReplaceUsesWithTheirParamsIn(@TempDir Path dir) throws Exception {
        WorkflowExpansionTest.write(dir, "lib/eval.yaml", TEMPLATE);
        Path main = WorkflowExpansionTest.write(dir, "main.yaml", """
                name: m
                params: {w: 5}
                tasks:
                  search:
                    type: t.search
                    with:
                      template: {uses: lib/eval.yaml, with: {width: "${params.w}"}}
                  inline:
                    type: t.search
                    with:
                      template: {tasks: {a: {type: t.source, with: {shape: ["${params.w}", "${candidate.n}"]}}}}
                """);
        LoadedWorkflow w = WorkflowLoader.load(main, Map.of(), catalog(), null);
        JsonNode template = w.spec().tasks().stream().filter(t -> t.id().equals("search")).findFirst().orElseThrow().with().get("template");
        assertEquals(WorkflowLoaderTest.json("""
                {"tasks": {"gen": {"type": "t.source", "with": {"shape": [5, "${candidate.n}"], "note": "n=${candidate.n}"}},
                           "score": {"type": "t.noop", "inputs": {"x": "gen.tensor"}}}}"""), template);
        JsonNode inline = w.spec().tasks().stream().filter(t -> t.id().equals("inline")).findFirst().orElseThrow().with().get("template");
        assertEquals(WorkflowLoaderTest.json("""
                {"tasks": {"a": {"type": "t.source", "with": {"shape": [5, "${candidate.n}"]}}}}"""), inline);
        // the recorded spec keeps ${candidate.n} and loads back to the same spec
        assertEquals(w.spec(), WorkflowLoader.load(w.resolvedYaml(), "again.yaml", Map.of(), catalog(), null).spec());
    }

    @Test
    void templateFileErrorsNameTheirPlace(@TempDir Path dir) throws Exception {
        WorkflowExpansionTest.write(dir, "lib/eval.yaml", TEMPLATE + "defaults: {timeout: 1m}\n");
        Path main = WorkflowExpansionTest.write(dir, "main.yaml", """
                name: m
                tasks:
                  a: {type: t.search, with: {template: {uses: lib/eval.yaml, with: {widht: 2}}}}
                  b: {type: t.search, with: {template: {uses: ../secret.yaml}}}
                  c: {type: t.search, with: {template: {uses: lib/eval.yaml, tasks: {}}}}
                """);
        String lib = dir.resolve("lib") + "/";
        assertEquals(List.of(
                main + ":3:69: error: unknown param 'widht' for the used file (declare it under its params:) (did you mean 'width'?)",
                main + ":4:47: error: uses '../secret.yaml' leads outside " + dir + " (used files must lie in the directory of the top-level workflow or below it)",
                main + ":5:62: error: a template read from a file takes only uses and with (its params), not 'tasks'",
                lib + "eval.yaml:5:1: error: a template file takes name, params and tasks, not 'defaults' (its tasks run with the search task's retry, timeout and resources)"),
                assertThrows(SpecException.class, () -> WorkflowLoader.load(main, Map.of(), catalog(), null)).lines());
    }
}
