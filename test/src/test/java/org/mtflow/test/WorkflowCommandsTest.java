package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.engine.spec.WorkflowSpec;
import org.mtflow.nodes.BuiltinNodes;

/** schema, graph, export and validate through the real jar: output on a sample, exit 2 and file:line:column on a bad file. */
class WorkflowCommandsTest {
    private static final String HELLO = "samples/hello.yaml";
    private static final String BAD = "test/src/test/resources/workflows/unknown-key.yaml";
    private static final String BAD_AT = BAD + ":7:5: error: unknown key 'retries' in task 'a'";

    @Test
    void schemaPrintsJsonSchemaWithEveryNodeType() throws Exception {
        Cli.Result r = Cli.run("schema");
        assertEquals(0, r.exit(), r.toString());
        JsonNode schema = new ObjectMapper().readTree(r.out());
        assertEquals("https://json-schema.org/draft/2020-12/schema", schema.get("$schema").asText());
        List<String> types = new ArrayList<>();
        schema.at("/$defs/task/properties/type/enum").forEach(t -> types.add(t.asText()));
        assertEquals(List.copyOf(BuiltinNodes.catalog().names()), types);
        assertEquals("the tensor's shape, e.g. [64, 64]",
                schema.at("/$defs/with/util.random/properties/shape/description").asText(), r.out());
    }

    @Test
    void validateListsTheTasks() throws Exception {
        Cli.Result r = Cli.run("validate", HELLO, "--no-devices");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("""
                samples/hello.yaml: valid (5 tasks)
                  fashion  data.fashion-mnist
                  stats    eval.dataset-stats  dataset <- fashion.dataset
                  a        util.random
                  b        util.random
                  product  util.matmul         a <- a.tensor; b <- b.tensor
                """, r.out());
        assertEquals("", r.err());
    }

    @Test
    void graphPrintsDotAndMermaid() throws Exception {
        Cli.Result dot = Cli.run("graph", HELLO);
        assertEquals(0, dot.exit(), dot.toString());
        assertEquals("""
                digraph "hello" {
                  rankdir=LR;
                  node [shape=box];
                  "fashion" [label="fashion\\ndata.fashion-mnist"];
                  "stats" [label="stats\\neval.dataset-stats"];
                  "a" [label="a\\nutil.random"];
                  "b" [label="b\\nutil.random"];
                  "product" [label="product\\nutil.matmul"];
                  "fashion" -> "stats" [label="dataset"];
                  "a" -> "product" [label="a: tensor"];
                  "b" -> "product" [label="b: tensor"];
                }
                """, dot.out());
        Cli.Result mermaid = Cli.run("graph", HELLO, "--format", "mermaid");
        assertEquals(0, mermaid.exit(), mermaid.toString());
        assertTrue(mermaid.out().startsWith("---\ntitle: hello\n---\nflowchart LR\n"), mermaid.toString());
        assertTrue(mermaid.out().contains("  t2 -->|\"a: tensor\"| t4\n"), mermaid.toString());
        Cli.Result png = Cli.run("graph", HELLO, "--format", "png");
        assertEquals(2, png.exit(), png.toString());
        assertTrue(png.err().contains("unknown format 'png': use dot or mermaid"), png.toString());
    }

    @Test
    void exportLoadsBackToTheSameSpec(@TempDir Path dir) throws Exception {
        Cli.Result r = Cli.run("export", HELLO, "--param", "size=24");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("with: {shape: [24, 24]}"), r.toString());
        Path exported = Files.writeString(dir.resolve("hello.yaml"), r.out());
        WorkflowSpec original = WorkflowLoader.load(Cli.REPO.resolve(HELLO), Map.of("size", "24"), BuiltinNodes.catalog(), null).spec();
        assertEquals(original, WorkflowLoader.load(exported, Map.of(), BuiltinNodes.catalog(), null).spec());
        // Exporting the export changes nothing.
        Cli.Result again = Cli.run("export", exported.toString());
        assertEquals(r.out(), again.out(), again.toString());
    }

    @Test
    void everyCommandRejectsAnInvalidFileWithItsPlace() throws Exception {
        for (String[] cmd : List.of(new String[] {"validate", BAD, "--no-devices"}, new String[] {"graph", BAD},
                new String[] {"graph", BAD, "--format", "mermaid"}, new String[] {"export", BAD})) {
            Cli.Result r = Cli.run(cmd);
            assertEquals(2, r.exit(), String.join(" ", cmd) + "\n" + r);
            assertEquals("", r.out(), String.join(" ", cmd) + "\n" + r);
            assertTrue(r.err().startsWith(BAD_AT), String.join(" ", cmd) + "\n" + r);
        }
        Cli.Result param = Cli.run("export", HELLO, "--param", "sise=3");
        assertEquals(2, param.exit(), param.toString());
        assertTrue(param.err().contains("unknown param 'sise' (given by --param)"), param.toString());
        Cli.Result missing = Cli.run("graph", "no-such.yaml");
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().startsWith("no-such.yaml: error: no such file"), missing.toString());
    }
}
