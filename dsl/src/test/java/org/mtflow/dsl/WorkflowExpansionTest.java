package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/** foreach, matrix, references to expansions, defaults and uses: the expanded spec, as golden YAML, and every error. */
class WorkflowExpansionTest {

    static LoadedWorkflow load(String yaml, Map<String, String> overrides) throws SpecException {
        return WorkflowLoader.load(yaml, "w.yaml", overrides, WorkflowLoaderTest.CATALOG, null);
    }

    /** The resolved YAML is the expanded task list, and loads back to an equal spec. */
    static String roundTrip(LoadedWorkflow w) throws SpecException {
        LoadedWorkflow again = load(w.resolvedYaml(), Map.of());
        assertEquals(w.spec(), again.spec());
        assertEquals(w.resolvedYaml(), again.resolvedYaml());
        return w.resolvedYaml();
    }

    static List<String> errors(String yaml) {
        return WorkflowLoaderTest.errors(yaml);
    }

    static Path write(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text);
    }

    @Test
    void foreachOverLiteralsWithReferencesToAllAndToOne() throws SpecException {
        String yaml = """
                name: f
                tasks:
                  src:
                    type: t.source
                    foreach: [2, 3]
                    with: {shape: ["${item}", "${index}"], seed: 7}
                  total:
                    type: t.sum
                    inputs:
                      values: src[*].tensor
                  one:
                    type: t.noop
                    inputs: {x: "${params.pick}"}
                params: {pick: "src[1].tensor"}
                """;
        assertEquals("""
                name: f
                seed: 0
                params: {pick: "src[1].tensor"}
                tasks:
                  "src[0]":
                    type: t.source
                    with: {shape: [2, 0], seed: 7}
                  "src[1]":
                    type: t.source
                    with: {shape: [3, 1], seed: 7}
                  total:
                    type: t.sum
                    inputs: {values: ["src[0].tensor", "src[1].tensor"]}
                  one:
                    type: t.noop
                    inputs: {x: "src[1].tensor"}
                """, roundTrip(load(yaml, Map.of())));
    }

    @Test
    void foreachOverAParamOfMapsWithFieldsAndItemInAnInput() throws SpecException {
        String yaml = """
                name: p
                params:
                  runs: [{name: x, lr: 0.5, from: a}, {name: y, lr: 0.25, from: b}]
                tasks:
                  a: {type: t.source, with: {shape: [1]}}
                  b: {type: t.source, with: {shape: [2]}}
                  fit:
                    type: t.any
                    foreach: ${params.runs}
                    with: {a: "${item.lr}", b: "run-${item.name}-${index}", c: "${item}"}
                  pass:
                    type: t.noop
                    foreach: ${params.runs}
                    inputs: {x: "${item.from}.tensor"}
                """;
        assertEquals("""
                name: p
                seed: 0
                params: {runs: [{name: x, lr: 0.5, from: a}, {name: "y", lr: 0.25, from: b}]}
                tasks:
                  a:
                    type: t.source
                    with: {shape: [1]}
                  b:
                    type: t.source
                    with: {shape: [2]}
                  "fit[0]":
                    type: t.any
                    with: {a: 0.5, b: run-x-0, c: {name: x, lr: 0.5, from: a}}
                  "fit[1]":
                    type: t.any
                    with: {a: 0.25, b: run-y-1, c: {name: "y", lr: 0.25, from: b}}
                  "pass[0]":
                    type: t.noop
                    inputs: {x: a.tensor}
                  "pass[1]":
                    type: t.noop
                    inputs: {x: b.tensor}
                """, roundTrip(load(yaml, Map.of())));
        // An override changes how many tasks there are.
        WorkflowSpec one = load(yaml, Map.of("runs", "[{name: z, lr: 1, from: b}]")).spec();
        assertEquals(List.of("a", "b", "fit[0]", "pass[0]"), one.tasks().stream().map(TaskSpec::id).toList());
    }

    @Test
    void matrixIsTheCrossProductLastKeyFastest() throws SpecException {
        String yaml = """
                name: m
                tasks:
                  grid:
                    type: t.any
                    matrix: {lr: [0.1, 0.01], task: [a, b, c]}
                    with: {a: "${matrix.lr}", b: "${matrix.task}", c: "${index}"}
                """;
        WorkflowSpec spec = load(yaml, Map.of()).spec();
        double[] lrs = {0.1, 0.01};
        String[] names = {"a", "b", "c"};
        assertEquals(6, spec.tasks().size());
        for (int i = 0; i < 6; i++) {
            TaskSpec t = spec.tasks().get(i);
            assertEquals("grid[" + i + "]", t.id());
            assertEquals(lrs[i / 3], t.with().get("a").asDouble());
            assertEquals(names[i % 3], t.with().get("b").asText());
            assertEquals(i, t.with().get("c").asInt());
        }
        roundTrip(load(yaml, Map.of()));
    }

    @Test
    void defaultsApplyPerWholeKey() throws SpecException {
        String yaml = """
                name: d
                defaults:
                  retry: {attempts: 3}
                  timeout: 1m
                  resources: {memory: 1GiB, slots: 2}
                  cache: false
                tasks:
                  a: {type: t.source, with: {shape: [1]}}
                  b: {type: t.source, with: {shape: [1]}, resources: {device: jvm}, timeout: 5s, cache: true}
                """;
        LoadedWorkflow w = load(yaml, Map.of());
        TaskSpec a = w.spec().tasks().get(0), b = w.spec().tasks().get(1);
        assertEquals(3, a.retry().attempts());
        assertEquals(Duration.ofMinutes(1), a.timeout());
        assertEquals(1L << 30, a.resources().memory());
        assertEquals(2, a.resources().slots());
        assertEquals(false, a.cache());
        // b's resources replace the default whole: memory and slots are the built-in defaults again.
        assertEquals(DeviceSelector.JVM, b.resources().device());
        assertEquals(org.mtflow.engine.spec.Resources.DEFAULT.memory(), b.resources().memory());
        assertEquals(1, b.resources().slots());
        assertEquals(Duration.ofSeconds(5), b.timeout());
        assertEquals(true, b.cache());
        assertEquals(3, b.retry().attempts());
        roundTrip(w);
    }

    static final String EVAL = """
            params: {n: 1}
            defaults: {timeout: 2m}
            tasks:
              gen: {type: t.source, with: {shape: ["${params.n}"]}}
              score: {type: t.noop, inputs: {x: gen.tensor}}
            outputs: {score: score.out}
            """;

    @Test
    void usesInlinesAnotherFileWithParamsAndOutputs(@TempDir Path dir) throws Exception {
        write(dir, "lib/eval.yaml", EVAL);
        Path main = write(dir, "main.yaml", """
                name: m
                params: {size: 4}
                tasks:
                  ev:
                    uses: lib/eval.yaml
                    with: {n: "${params.size}"}
                  ens:
                    uses: ./lib/../lib/eval.yaml
                    foreach: [5, 6]
                    with: {n: "${item}"}
                  last:
                    type: t.sum
                    inputs:
                      values: [ev.outputs.score, "ens[*].outputs.score"]
                  first: {type: t.noop, inputs: {x: "ens[0].outputs.score"}}
                """);
        LoadedWorkflow w = WorkflowLoader.load(main, Map.of(), WorkflowLoaderTest.CATALOG, null);
        assertEquals("""
                name: m
                seed: 0
                params: {size: 4}
                tasks:
                  ev/gen:
                    type: t.source
                    with: {shape: [4]}
                    timeout: 2m
                  ev/score:
                    type: t.noop
                    inputs: {x: ev/gen.tensor}
                    timeout: 2m
                  "ens[0]/gen":
                    type: t.source
                    with: {shape: [5]}
                    timeout: 2m
                  "ens[0]/score":
                    type: t.noop
                    inputs: {x: "ens[0]/gen.tensor"}
                    timeout: 2m
                  "ens[1]/gen":
                    type: t.source
                    with: {shape: [6]}
                    timeout: 2m
                  "ens[1]/score":
                    type: t.noop
                    inputs: {x: "ens[1]/gen.tensor"}
                    timeout: 2m
                  last:
                    type: t.sum
                    inputs: {values: [ev/score.out, "ens[0]/score.out", "ens[1]/score.out"]}
                  first:
                    type: t.noop
                    inputs: {x: "ens[0]/score.out"}
                """, roundTrip(w));
    }

    // ---- errors, each with its place

    @Test
    void wrongReferencesToExpansions() {
        assertEquals(List.of(
                "w.yaml:8:33: error: index 2 is out of range: 'src' is expanded into 2 tasks src[0]..src[1] (use an index from 0 to 1, or [*] for all)",
                "w.yaml:9:38: error: 'one[*]': 'one' has no foreach or matrix, so it is one task (write one.out)",
                "w.yaml:10:37: error: 'src' is expanded into 2 tasks src[0]..src[1]; write src[*].tensor for the list of all of them or src[0].tensor for one"),
                errors("""
                        name: r
                        tasks:
                          src:
                            type: t.source
                            foreach: [[1], [2]]
                            with: {shape: "${item}"}
                          one: {type: t.noop}
                          a: {type: t.noop, inputs: {x: "src[2].tensor"}}
                          b: {type: t.sum, inputs: {values: ["one[*].out"]}}
                          c: {type: t.sum, inputs: {values: src.tensor}}
                        """));
    }

    @Test
    void wrongForeachMatrixAndItemReferences() {
        assertEquals(List.of(
                "w.yaml:4:16: error: foreach needs a list, got integer 3 (write a list such as [a, b], or ${params.NAME} naming a list param)",
                "w.yaml:5:16: error: unknown param 'shapes' in '${params.shapes}' (did you mean 'shape'?)",
                "w.yaml:9:15: error: ${item.sise}: item of expansion 0 has no field 'sise' (did you mean 'size'?)",
                "w.yaml:13:15: error: unknown matrix key 'tsk' in ${matrix.tsk} (did you mean 'task'?)",
                "w.yaml:13:35: error: ${item} is only defined in a task with foreach (in a matrix task write ${matrix.NAME})",
                "w.yaml:14:20: error: unknown key 'forech' in task 'e' (did you mean 'foreach'?)",
                "w.yaml:15:29: error: foreach needs a list, got string 'a' (write a list such as [a, b], or ${params.NAME} naming a list param)"),
                errors("""
                        name: e
                        params: {shape: [1], word: a}
                        tasks:
                          a: {foreach: 3, type: t.any}
                          b: {foreach: "${params.shapes}", type: t.any}
                          c:
                            foreach: [{size: 1}]
                            type: t.any
                            with: {a: "${item.sise}"}
                          d:
                            matrix: {task: [x]}
                            type: t.any
                            with: {a: "${matrix.tsk}", b: "${item}"}
                          e: {type: t.any, forech: [1]}
                          f: {type: t.any, foreach: "${params.word}"}
                        """));
    }

    @Test
    void unknownDefaultsKey() {
        assertEquals(List.of("w.yaml:2:23: error: unknown key 'timout' in defaults (did you mean 'timeout'?)"),
                errors("""
                        name: d
                        defaults: {retry: {}, timout: 1m}
                        tasks: {a: {type: t.any}}
                        """));
    }

    @Test
    void usesErrorsNameTheirFile(@TempDir Path dir) throws Exception {
        write(dir, "lib/eval.yaml", EVAL.replace("inputs: {x: gen.tensor}", "inputs: {x: gen.tensor}, retyr: {}"));
        write(dir, "lib/a.yaml", "tasks:\n  x: {uses: b.yaml}\n");
        write(dir, "lib/b.yaml", "tasks:\n  y:\n    uses: a.yaml\n");
        Path main = write(dir, "main.yaml", """
                name: m
                tasks:
                  ev: {uses: lib/eval.yaml, with: {nn: 2}}
                  out: {type: t.noop, inputs: {x: ev.outputs.scor}}
                  up: {uses: ../secret.yaml}
                  loop: {uses: lib/a.yaml}
                  gone: {uses: lib/none.yaml, type: t.noop}
                """);
        String lib = dir.resolve("lib") + "/";
        assertEquals(List.of(
                main + ":3:36: error: unknown param 'nn' for the used file (declare it under its params:) (did you mean 'n'?)",
                main + ":4:35: error: 'ev' runs another workflow file (uses); refer to an output it declares as ev.outputs.NAME (did you mean 'score'?)",
                main + ":5:14: error: uses '../secret.yaml' leads outside " + dir + " (used files must lie in the directory of the top-level workflow or below it)",
                main + ":7:16: error: uses 'lib/none.yaml': no such file " + lib + "none.yaml",
                main + ":7:31: error: 'type' cannot be set on task 'gone', which uses another file (set it on the tasks of that file; here only uses, with, foreach, matrix)",
                lib + "eval.yaml:5:50: error: unknown key 'retyr' in task 'ev/score' (did you mean 'retry'?)",
                lib + "b.yaml:3:11: error: uses cycle: " + lib + "a.yaml -> " + lib + "b.yaml -> " + lib + "a.yaml (a file cannot use itself, directly or through others)"),
                assertThrows(SpecException.class, () -> WorkflowLoader.load(main, Map.of(), WorkflowLoaderTest.CATALOG, null)).lines());
    }
}
