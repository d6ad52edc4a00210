package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.devices.DeviceKind;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

class WorkflowLoaderTest {
    static final NodeCatalog CATALOG = TestNodes.catalog();
    static final ObjectMapper JSON = new ObjectMapper();

    static final String HELLO = """
            name: hello
            seed: 42
            params: {n: 3}
            tasks:
              a:      {type: t.source, with: {shape: [64, 64]}}
              b:      {type: t.sum, inputs: {values: [a.tensor, a.tensor]}}
              c:
                type: t.noop
                inputs: {x: b.tensor}
                retry: {attempts: 3, backoff: 100ms, max-backoff: 10s, jitter: 0.1, on: [transient, timeout]}
                timeout: 30s
                resources: {device: any, memory: 2GiB, slots: 1}
                cache: false
            """;

    static WorkflowSpec load(String yaml) throws SpecException {
        return load(yaml, Map.of());
    }

    static WorkflowSpec load(String yaml, Map<String, String> overrides) throws SpecException {
        return WorkflowLoader.load(yaml, "w.yaml", overrides, CATALOG, null).spec();
    }

    static List<String> errors(String yaml) {
        return errors(yaml, Map.of(), null);
    }

    static List<String> errors(String yaml, Map<String, String> overrides, Collection<DeviceInfo> devices) {
        return assertThrows(SpecException.class,
                () -> WorkflowLoader.load(yaml, "w.yaml", overrides, CATALOG, devices)).lines();
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    // ---- valid files

    @Test
    void validFileGivesTheExpectedSpec() throws SpecException {
        WorkflowSpec spec = load(HELLO);
        assertEquals("hello", spec.name());
        assertEquals(42, spec.seed());
        assertEquals(json("{\"n\": 3}"), spec.params());
        assertEquals(List.of("a", "b", "c"), spec.tasks().stream().map(TaskSpec::id).toList());

        TaskSpec a = spec.task("a").orElseThrow();
        assertEquals("t.source", a.type());
        assertEquals(json("{\"shape\": [64, 64]}"), a.with());
        assertEquals(Map.of(), a.inputs());
        assertEquals(RetryPolicy.NONE, a.retry());
        assertNull(a.timeout());
        assertEquals(Resources.DEFAULT, a.resources());
        assertTrue(a.cache());

        TaskSpec b = spec.task("b").orElseThrow();
        assertEquals(Map.of("values", new InputBinding.Many(List.of(new OutputRef("a", "tensor"), new OutputRef("a", "tensor")))),
                b.inputs());

        TaskSpec c = spec.task("c").orElseThrow();
        assertEquals(Map.of("x", new InputBinding.One(new OutputRef("b", "tensor"))), c.inputs());
        assertEquals(new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(10), 0.1,
                List.of(ErrorClass.TRANSIENT, ErrorClass.TIMEOUT)), c.retry());
        assertEquals(Duration.ofSeconds(30), c.timeout());
        assertEquals(new Resources(DeviceSelector.ANY, 2L << 30, 1), c.resources());
        assertFalse(c.cache());
    }

    @Test
    void loadsFromAFileAndKeepsTheResolvedYaml(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hello.yaml");
        Files.writeString(file, HELLO);
        LoadedWorkflow w = WorkflowLoader.load(file, Map.of(), CATALOG, null);
        assertEquals(file, w.source());
        assertEquals(load(HELLO), w.spec());
        assertEquals(WorkflowWriter.toYaml(w.spec()), w.resolvedYaml());
    }

    @Test
    void partialRetryAndResourcesKeepTheOtherDefaults() throws SpecException {
        WorkflowSpec spec = load("""
                name: x
                tasks:
                  a:
                    type: t.noop
                    retry: {attempts: 2, on: transient}
                    resources: {device: jvm, memory: 4096}
                """);
        TaskSpec a = spec.tasks().get(0);
        RetryPolicy none = RetryPolicy.NONE;
        assertEquals(new RetryPolicy(2, none.backoff(), none.maxBackoff(), none.jitter(), List.of(ErrorClass.TRANSIENT)), a.retry());
        assertEquals(new Resources(DeviceSelector.JVM, 4096, 1), a.resources());
        assertEquals(0, spec.seed());
    }

    @Test
    void quotedScalarsStayStrings() throws SpecException {
        WorkflowSpec spec = load("""
                name: "2024"
                tasks:
                  a: {type: t.any, with: {a: "42", b: 42, c: [yes, "true", true, null, "", 1.5]}}
                """);
        assertEquals("2024", spec.name());
        assertEquals(json("{\"a\": \"42\", \"b\": 42, \"c\": [\"yes\", \"true\", true, null, \"\", 1.5]}"),
                spec.tasks().get(0).with());
    }

    // ---- min-success: the map form of a list input

    static final String MERGE = """
            name: merge
            params: {k: 2}
            tasks:
              ft-a: {type: t.source, with: {shape: [2]}}
              ft-b: {type: t.source, with: {shape: [2]}}
              ft-c: {type: t.source, with: {shape: [2]}}
              two:  {type: t.sum, inputs: {values: {from: [ft-a.tensor, ft-b.tensor, ft-c.tensor], min-success: 2}}}
              all:  {type: t.sum, inputs: {values: {from: [ft-a.tensor, ft-b.tensor]}}}
              same: {type: t.sum, inputs: {values: {from: [ft-a.tensor], min-success: 1}}}
              param: {type: t.sum, inputs: {values: {from: [ft-a.tensor, ft-b.tensor, ft-c.tensor], min-success: "${params.k}"}}}
              block:
                type: t.sum
                inputs:
                  values:
                    from:
                      - ft-c.tensor
                      - ft-a.tensor
                    min-success: 1
            """;

    @Test
    void mapFormGivesAListWithItsMinSuccess() throws SpecException {
        WorkflowSpec spec = load(MERGE);
        OutputRef a = new OutputRef("ft-a", "tensor");
        OutputRef b = new OutputRef("ft-b", "tensor");
        OutputRef c = new OutputRef("ft-c", "tensor");
        assertEquals(Map.of("values", new InputBinding.Many(List.of(a, b, c), 2)), spec.task("two").orElseThrow().inputs());
        // Without min-success, or with all of them, it is the plain list.
        assertEquals(Map.of("values", new InputBinding.Many(List.of(a, b))), spec.task("all").orElseThrow().inputs());
        assertEquals(Map.of("values", new InputBinding.Many(List.of(a))), spec.task("same").orElseThrow().inputs());
        assertEquals(Map.of("values", new InputBinding.Many(List.of(a, b, c), 2)), spec.task("param").orElseThrow().inputs());
        assertEquals(Map.of("values", new InputBinding.Many(List.of(c, a), 1)), spec.task("block").orElseThrow().inputs());
        assertEquals(Map.of("values", new InputBinding.Many(List.of(a, b, c), 3)),
                load(MERGE, Map.of("k", "3")).task("param").orElseThrow().inputs());
    }

    @Test
    void minSuccessThatIsNotAPositiveInteger() {
        assertEquals(List.of(
                "w.yaml:4:69: error: min-success in input 'values' must be a positive integer, got integer 0"
                        + " (the least number of the listed outputs that must succeed)",
                "w.yaml:5:69: error: min-success in input 'values' must be a positive integer, got integer -1"
                        + " (the least number of the listed outputs that must succeed)",
                "w.yaml:6:69: error: min-success in input 'values' must be a positive integer, got number 1.5"
                        + " (the least number of the listed outputs that must succeed)",
                "w.yaml:7:69: error: min-success in input 'values' must be a positive integer, got string 'two'"
                        + " (the least number of the listed outputs that must succeed)"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.sum, inputs: {values: {from: [a.tensor], min-success: 0}}}
                  c: {type: t.sum, inputs: {values: {from: [a.tensor], min-success: -1}}}
                  d: {type: t.sum, inputs: {values: {from: [a.tensor], min-success: 1.5}}}
                  e: {type: t.sum, inputs: {values: {from: [a.tensor], min-success: two}}}
                """));
    }

    @Test
    void minSuccessLargerThanTheList() {
        assertEquals(List.of(
                "w.yaml:4:79: error: min-success in input 'values' is 3 but 'from' lists only 2 outputs"
                        + " (use at most 2, or leave it out to need them all)",
                "w.yaml:9:22: error: min-success in input 'values' is 2 but 'from' lists only 1 output"
                        + " (use at most 1, or leave it out to need them all)",
                "w.yaml:11:61: error: min-success in input 'values' is 1 but 'from' lists only 0 outputs"
                        + " (list the outputs under 'from')"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.sum, inputs: {values: {from: [a.tensor, a.tensor], min-success: 3}}}
                  c:
                    type: t.sum
                    inputs:
                      values:
                        min-success: 2
                        from: [a.tensor]
                  d: {type: t.sum, inputs: {values: {from: [], min-success: 1}}}
                """));
    }

    @Test
    void unknownKeyInTheMapFormWithSuggestion() {
        assertEquals(List.of(
                "w.yaml:4:56: error: unknown key 'min-sucess' in input 'values' (did you mean 'min-success'?)",
                "w.yaml:5:37: error: input 'values' needs 'from', the list of outputs"
                        + " (e.g. {from: [a.out, b.out, c.out], min-success: 2})",
                "w.yaml:5:38: error: unknown key 'form' in input 'values' (did you mean 'from'?)"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.sum, inputs: {values: {from: [a.tensor], min-sucess: 1}}}
                  c: {type: t.sum, inputs: {values: {form: [a.tensor], min-success: 1}}}
                """));
    }

    @Test
    void fromThatIsMissingOrNotAList() {
        assertEquals(List.of(
                "w.yaml:4:37: error: input 'values' needs 'from', the list of outputs"
                        + " (e.g. {from: [a.out, b.out, c.out], min-success: 2})",
                "w.yaml:5:44: error: 'from' in input 'values' must be a list of references 'task.output',"
                        + " got string 'a.tensor' (e.g. {from: [a.out, b.out, c.out], min-success: 2})",
                "w.yaml:6:37: error: input 'values' needs 'from', the list of outputs"
                        + " (e.g. {from: [a.out, b.out, c.out], min-success: 2})"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.sum, inputs: {values: {min-success: 1}}}
                  c: {type: t.sum, inputs: {values: {from: a.tensor, min-success: 1}}}
                  d: {type: t.sum, inputs: {values: {}}}
                """));
    }

    @Test
    void referencesUnderFromAreLocatedByIndex() {
        assertEquals(List.of(
                "w.yaml:4:55: error: an input must be a reference 'task.output' (or a list of them), got integer 5",
                "w.yaml:5:55: error: input 'values' refers to unknown task 'q' (did you mean 'a'?)",
                "w.yaml:12:13: error: task 'a' (t.source) has no output 'tensr' (did you mean 'tensor'?)"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.sum, inputs: {values: {from: [a.tensor, 5], min-success: 1}}}
                  c: {type: t.sum, inputs: {values: {from: [a.tensor, q.tensor]}}}
                  d:
                    type: t.sum
                    inputs:
                      values:
                        from:
                          - a.tensor
                          - a.tensr
                        min-success: 1
                """));
    }

    @Test
    void mapFormForAnInputThatTakesOneOutput() {
        assertEquals(List.of("w.yaml:4:30: error: input 'x' of t.noop takes one output, not a list"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.noop, inputs: {x: {from: [a.tensor, a.tensor], min-success: 1}}}
                """));
    }

    @Test
    void minSuccessFromAnUnknownParamIsReportedOnce() {
        assertEquals(List.of("w.yaml:5:69: error: unknown param 'kk' in '${params.kk}' (did you mean 'k'?)"), errors("""
                name: x
                params: {k: 1}
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.sum, inputs: {values: {from: [a.tensor], min-success: "${params.kk}"}}}
                """));
    }

    // ---- errors in the file's shape, each at its place

    @Test
    void unknownTopLevelKeyWithSuggestion() {
        assertEquals(List.of(
                "w.yaml:1:1: error: missing 'tasks': a workflow needs at least one task",
                "w.yaml:2:1: error: unknown key 'tsks' (did you mean 'tasks'?)"), errors("""
                name: x
                tsks:
                  a: {type: t.noop}
                """));
    }

    @Test
    void unknownTaskKeyWithSuggestion() {
        assertEquals(List.of("w.yaml:5:5: error: unknown key 'inptus' in task 'a' (did you mean 'inputs'?)"), errors("""
                name: x
                tasks:
                  a:
                    type: t.noop
                    inptus: {}
                """));
    }

    @Test
    void unknownRetryAndResourcesKeys() {
        assertEquals(List.of(
                "w.yaml:3:29: error: unknown key 'atempts' in retry (did you mean 'attempts'?)",
                "w.yaml:4:19: error: unknown key 'mem' in resources (expected one of: device, memory, slots)"), errors("""
                name: x
                tasks:
                  a: {type: t.noop, retry: {atempts: 2},
                      resources: {mem: 1}}
                """));
    }

    @Test
    void missingNameAndNonMapTasks() {
        assertEquals(List.of(
                "w.yaml:1:1: error: missing 'name': every workflow needs a name",
                "w.yaml:1:8: error: tasks must be a map of task id: task, got a list"), errors("""
                tasks: [a, b]
                """));
    }

    @Test
    void emptyTasks() {
        assertEquals(List.of("w.yaml:2:1: error: 'tasks' is empty: a workflow needs at least one task"), errors("""
                name: x
                tasks: {}
                """));
    }

    @Test
    void nameAndSeedOfTheWrongType() {
        assertEquals(List.of(
                "w.yaml:1:7: error: name must be a string, got a list",
                "w.yaml:2:7: error: seed must be an integer, got number 1.5"), errors("""
                name: [x]
                seed: 1.5
                tasks: {a: {type: t.noop}}
                """));
    }

    @Test
    void timeoutThatIsNotADuration() {
        assertEquals(List.of("w.yaml:5:14: error: timeout must be a duration, got integer 30"
                + " (write a number with a unit: 500ms, 30s, 2m, 1h or 1d)"), errors("""
                name: x
                tasks:
                  a:
                    type: t.noop
                    timeout: 30
                """));
    }

    @Test
    void attemptsThatIsNotAnInteger() {
        assertEquals(List.of("w.yaml:5:23: error: retry.attempts must be an integer, got string 'three'"), errors("""
                name: x
                tasks:
                  a:
                    type: t.noop
                    retry: {attempts: three}
                """));
    }

    @Test
    void backoffJitterSlotsMemoryAndCacheOfTheWrongType() {
        assertEquals(List.of(
                "w.yaml:4:22: error: retry.backoff must be a duration, got string 'fast'"
                        + " (write a number with a unit: 500ms, 30s, 2m, 1h or 1d)",
                "w.yaml:4:36: error: retry.jitter must be a number, got string 'some'",
                "w.yaml:5:25: error: resources.memory must be a size such as 512MiB, 2GiB or a byte count, got string 'lots'",
                "w.yaml:5:38: error: resources.slots must be an integer, got number 1.5",
                "w.yaml:6:12: error: cache must be true or false, got string 'yes'"), errors("""
                name: x
                tasks:
                  a:
                    retry: {backoff: fast, jitter: some}
                    resources: {memory: lots, slots: 1.5}
                    cache: yes
                    type: t.noop
                """));
    }

    @Test
    void badDeviceSelectorWithSuggestion() {
        assertEquals(List.of("w.yaml:5:25: error: unknown device 'gpuu' (did you mean 'gpu'?)"), errors("""
                name: x
                tasks:
                  a:
                    type: t.noop
                    resources: {device: gpuu}
                """));
    }

    @Test
    void badErrorClassWithSuggestion() {
        assertEquals(List.of("w.yaml:5:42: error: unknown error class 'timout' in retry.on (did you mean 'timeout'?)"), errors("""
                name: x
                tasks:
                  a:
                    type: t.noop
                    retry: {attempts: 2, on: [transient, timout]}
                """));
    }

    @Test
    void inputReferenceThatIsNotTaskDotOutput() {
        assertEquals(List.of(
                "w.yaml:4:48: error: an input must be a reference 'task.output' (or a list of them), got string 'a'"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b: {type: t.sum, inputs: {values: [a.tensor, a]}}
                """));
    }

    @Test
    void inputsThatAreNotAMap() {
        assertEquals(List.of(
                "w.yaml:3:3: error: t.sum needs input 'values' (tensors to add)",
                "w.yaml:3:28: error: 'inputs' must be a map of input: task.output, got string 'a.out'"), errors("""
                name: x
                tasks:
                  b: {type: t.sum, inputs: a.out}
                """));
    }

    @Test
    void invalidTaskIdAndTaskThatIsNotAMap() {
        assertEquals(List.of(
                "w.yaml:3:3: error: invalid task id 'a.b': use letters, digits, '_' and '-', starting with a letter"
                        + " or '_' (a dot separates task and output in references)",
                "w.yaml:4:6: error: task 'c' must be a map with at least 'type', got string 't.noop'"), errors("""
                name: x
                tasks:
                  a.b: {type: t.noop}
                  c: t.noop
                """));
    }

    @Test
    void missingType() {
        assertEquals(List.of("w.yaml:3:3: error: task 'a' needs a 'type' (the node type to run)"), errors("""
                name: x
                tasks:
                  a: {with: {}}
                """));
    }

    // ---- errors found by the graph validator, mapped back to their places

    @Test
    void unknownNodeTypeWithSuggestion() {
        assertEquals(List.of("w.yaml:3:7: error: unknown node type 't.nop' (did you mean 't.noop'?)"), errors("""
                name: x
                tasks:
                  a: {type: t.nop}
                """));
    }

    @Test
    void unknownParamWrongParamTypeAndMissingParam() {
        assertEquals(List.of(
                "w.yaml:3:3: error: t.source needs param 'shape' (a list of integers)",
                "w.yaml:4:42: error: unknown param 'sede' for t.source (did you mean 'seed'?)",
                "w.yaml:5:30: error: param 'shape' of t.source expects a list of integers, got string \"big\""), errors("""
                name: x
                tasks:
                  a: {type: t.source}
                  b: {type: t.source, with: {shape: [2], sede: 1}}
                  c: {type: t.source, with: {shape: big}}
                """));
    }

    @Test
    void missingInputWithSuggestionAndMissingRequiredInput() {
        assertEquals(List.of(
                "w.yaml:4:30: error: input 'x' refers to unknown task 'srd' (did you mean 'src'?)",
                "w.yaml:5:3: error: t.sum needs input 'values' (tensors to add)",
                "w.yaml:6:38: error: task 'src' (t.source) has no output 'tensr' (did you mean 'tensor'?)"), errors("""
                name: x
                tasks:
                  src: {type: t.source, with: {shape: [2]}}
                  b: {type: t.noop, inputs: {x: srd.tensor}}
                  c: {type: t.sum}
                  d: {type: t.sum, inputs: {values: [src.tensr]}}
                """));
    }

    @Test
    void blockStyleReferencesAreLocatedToo() {
        assertEquals(List.of("w.yaml:9:11: error: task 'a' (t.source) has no output 'tensr' (did you mean 'tensor'?)"), errors("""
                name: x
                tasks:
                  a: {type: t.source, with: {shape: [2]}}
                  b:
                    type: t.sum
                    inputs:
                      values:
                        - a.tensor
                        - a.tensr
                """));
    }

    @Test
    void cycleIsReportedAtTheReferenceThatClosesIt() {
        assertEquals(List.of("w.yaml:4:30: error: cycle: a -> b -> c -> a (a task cannot depend on its own outputs)"), errors("""
                name: x
                tasks:
                  a: {type: t.noop, inputs: {x: c.out}}
                  b: {type: t.noop, inputs: {x: a.out}}
                  c: {type: t.noop, inputs: {x: b.out}}
                """));
    }

    @Test
    void noDeviceCanRunTheTask() throws SpecException {
        List<DeviceInfo> devices = List.of(new DeviceInfo("jvm", DeviceKind.JVM, "JVM", 2, 1L << 30, "java"));
        String yaml = """
                name: x
                tasks:
                  a: {type: t.noop, resources: {device: gpu}}
                  b: {type: t.noop, resources: {device: cpu}}
                """;
        assertEquals(List.of("w.yaml:3:21: error: no device can run task 'a': it needs device gpu (devices here: jvm (jvm))"),
                errors(yaml, Map.of(), devices));
        // Without devices (null) the check is skipped.
        assertEquals(2, load(yaml).tasks().size());
    }

    @Test
    void everyErrorIsReportedSortedByPlace() {
        assertEquals(List.of(
                "w.yaml:2:7: error: seed must be an integer, got string 'abc'",
                "w.yaml:4:7: error: unknown node type 't.nop' (did you mean 't.noop'?)",
                "w.yaml:5:30: error: input 'x' refers to unknown task 'q' (did you mean 'a'?)",
                "w.yaml:5:50: error: timeout must be a duration, got string 'soon'"
                        + " (write a number with a unit: 500ms, 30s, 2m, 1h or 1d)",
                "w.yaml:8:14: error: cycle: c -> c (a task cannot depend on its own outputs)",
                "w.yaml:8:30: error: task 'c' (t.sum) has no output 'out' (expected one of: tensor)",
                "w.yaml:9:5: error: unknown key 'cahce' in task 'c' (did you mean 'cache'?)"), errors("""
                name: x
                seed: abc
                tasks:
                  a: {type: t.nop}
                  b: {type: t.noop, inputs: {x: q.out}, timeout: soon}
                  c:
                    type: t.sum
                    inputs: {values: [b.out, c.out]}
                    cahce: true
                """));
    }

    // ---- YAML-level errors

    @Test
    void aliasesAreRejected() {
        assertEquals(List.of("w.yaml:4:6: error: aliases are not supported; write the value out in full"), errors("""
                name: x
                tasks:
                  a: &t {type: t.noop}
                  b: *t
                """));
    }

    @Test
    void duplicateKeysAreRejectedAtTheSecondKey() {
        assertEquals(List.of(
                "w.yaml:4:3: error: duplicate key 'a'",
                "w.yaml:5:33: error: duplicate key 'a'"), errors("""
                name: x
                tasks:
                  a: {type: t.noop}
                  a: {type: t.noop}
                  b: {type: t.any, with: {a: 1, a: 2}}
                """));
    }

    @Test
    void syntaxErrorGivesThePlaceAndNoJavaNames() {
        List<String> lines = errors("""
                name: x
                tasks:
                  a: {type: t.noop
                  b: {type: t.noop}
                """);
        assertEquals(List.of("w.yaml:4:4: error: invalid YAML: expected ',' or '}', but got : (while parsing a flow mapping)"),
                lines);
    }

    @Test
    void tabIndentationIsASyntaxError() {
        assertEquals(1, errors("name: x\ntasks:\n\ta: {type: t.noop}\n").size());
        String line = errors("name: x\ntasks:\n\ta: {type: t.noop}\n").get(0);
        assertTrue(line.startsWith("w.yaml:3:1: error: invalid YAML: "), line);
        assertFalse(line.contains("Exception"), line);
    }

    @Test
    void emptyFileAndNonMapRoot() {
        assertEquals(List.of("w.yaml:1:1: error: the file is empty; a workflow needs at least 'name' and 'tasks'"), errors(""));
        assertEquals(List.of("w.yaml:1:1: error: a workflow must be a map with 'name' and 'tasks', got a list"), errors("- a\n"));
    }

    @Test
    void moreThanOneDocument() {
        assertEquals(List.of("w.yaml:4:1: error: only one YAML document per file is supported"), errors("""
                name: x
                tasks: {a: {type: t.noop}}
                ---
                name: y
                """));
    }

    @Test
    void unreadableFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        SpecException e = assertThrows(SpecException.class, () -> WorkflowLoader.load(missing, Map.of(), CATALOG, null));
        assertEquals(List.of(missing + ": error: no such file"), e.lines());
    }

    @Test
    void fileThatIsNotUtf8(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.yaml");
        Files.write(bad, new byte[] {'n', 'a', 'm', 'e', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n'});
        SpecException e = assertThrows(SpecException.class, () -> WorkflowLoader.load(bad, Map.of(), CATALOG, null));
        assertEquals(List.of(bad + ": error: the file is not UTF-8 text"), e.lines());
    }
}
