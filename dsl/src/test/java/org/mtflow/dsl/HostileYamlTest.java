package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.dsl.WorkflowLoaderTest.errors;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Files written to hurt the reader: nothing in them is ever expanded, instantiated or trusted.
 * The loader builds its own tree of maps, lists and scalars; it never asks a YAML library to map
 * the file onto classes, so a class name in a file can only be an error.
 */
class HostileYamlTest {

    @Test
    void aBillionLaughsFileIsRejectedWithoutExpandingIt() {
        // Nine levels of nine aliases each: 9^9 (387 million) strings if it were expanded.
        StringBuilder yaml = new StringBuilder("name: x\nlol0: &l0 lol\n");
        for (int level = 1; level <= 9; level++) {
            yaml.append("lol").append(level).append(": &l").append(level).append(" [");
            for (int i = 0; i < 9; i++) yaml.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
            yaml.append("]\n");
        }
        yaml.append("tasks: {a: {type: t.noop}}\n");
        List<String> lines = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> errors(yaml.toString()));
        // One error per alias as written (81) and per unknown top-level key (10), none per expansion.
        assertEquals(81, lines.stream().filter(l -> l.contains("aliases are not supported")).count(), lines.toString());
        assertEquals(91, lines.size(), lines.toString());
    }

    @Test
    void tagsThatNameClassesAreErrors() {
        assertEquals(List.of(
                "w.yaml:5:15: error: YAML tags such as '!!java.net.URL' are not supported; write a plain value"
                        + " (mtflow reads only maps, lists, strings, numbers, booleans and null)",
                "w.yaml:6:15: error: YAML tags such as '!!javax.script.ScriptEngineManager' are not supported;"
                        + " write a plain value (mtflow reads only maps, lists, strings, numbers, booleans and null)",
                "w.yaml:7:27: error: YAML tags such as '!custom' are not supported; write a plain value"
                        + " (mtflow reads only maps, lists, strings, numbers, booleans and null)"),
                errors("""
                        name: x
                        tasks:
                          a:
                            type: t.any
                            with: {a: !!java.net.URL "http://127.0.0.1/x",
                                   b: !!javax.script.ScriptEngineManager [x]}
                          b: {type: t.noop, with: !custom {}}
                        """));
    }

    @Test
    void theCoreSchemasOwnTagsOnlySayWhatTheValueIs() throws Exception {
        LoadedWorkflow w = WorkflowLoader.load("""
                name: !!str x
                seed: !!int 7
                tasks:
                  a: {type: t.noop}
                """, "w.yaml", Map.of(), TestNodes.catalog(), null);
        assertEquals("x", w.spec().name());
        assertEquals(7, w.spec().seed());
    }
}
