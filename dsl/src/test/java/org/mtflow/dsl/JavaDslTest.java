package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.WorkflowSpec;

/** The builder: same spec as YAML for the same workflow, and errors at the line of the Java call. */
class JavaDslTest {
    static final NodeCatalog CATALOG = TestNodes.catalog();

    /** The line this is called from, to compare with the line an error names. */
    private static int line() {
        return new Throwable().getStackTrace()[1].getLineNumber();
    }

    @Test
    void builderGivesTheSpecTheYamlLoaderGivesForTheSameWorkflow() throws Exception {
        Random rnd = new Random();
        long seed = rnd.nextLong();
        int rows = 1 + rnd.nextInt(500), cols = 1 + rnd.nextInt(500), n = 1 + rnd.nextInt(9);
        double scale = rnd.nextInt(1000) / 8.0;
        String yaml = """
                name: study
                seed: %d
                params: {n: %d, tag: run}
                tasks:
                  a: {type: t.source, with: {shape: [%d, %d], seed: 7}}
                  b:
                    type: t.source
                    with: {shape: ["${params.n}"]}
                    resources: {device: jvm, memory: 2GiB}
                  s:
                    type: t.sum
                    with: {scale: %s, label: "${params.tag}"}
                    inputs: {values: [a.tensor, b.tensor, a.tensor]}
                    retry: {attempts: 3, backoff: 250ms}
                    timeout: 30s
                    cache: false
                  p:
                    type: t.sum
                    inputs: {values: {from: [a.tensor, b.tensor], min-success: 1}}
                  z: {type: t.noop, inputs: {x: s.tensor}, resources: {device: opencl}}
                """.formatted(seed, n, rows, cols, Double.toString(scale));
        WorkflowSpec fromYaml = WorkflowLoader.load(yaml, "study.yaml", Map.of(), CATALOG, null).spec();

        Params params = Params.defaults();
        int nParam = params.integer("n", n);
        String tag = params.text("tag", "run");
        Workflow w = Workflow.named("study").seed(seed).params(params);
        Task a = w.task("a", "t.source").with("shape", new int[] {rows, cols}).with("seed", 7L);
        Task b = w.task("b", "t.source").with("shape", List.of(nParam)).resources(DeviceSelector.JVM, "2GiB");
        Task s = w.task("s", "t.sum").with("scale", scale).with("label", tag)
                .inputs("values", List.of(a.out("tensor"), b.out("tensor"), a.out("tensor")))
                .retry(3, Duration.ofMillis(250)).timeout("30s").cache(false);
        w.task("p", "t.sum").inputsAtLeast("values", 1, a.out("tensor"), b.out("tensor"));
        w.task("z", "t.noop").inputs("x", s.out("tensor")).resources(DeviceSelector.OPENCL);
        LoadedWorkflow built = w.build(CATALOG);

        assertEquals(fromYaml, built.spec());
        assertEquals(WorkflowLoader.load(built.resolvedYaml(), "resolved.yaml", Map.of(), CATALOG, null).spec(), built.spec());
    }

    @Test
    void aWrongOutputNameIsReportedAtTheLineThatNamedIt() {
        Workflow w = Workflow.named("wrong");
        Task a = w.task("a", "t.source").with("shape", List.of(2));
        Output typo = a.out("tensr"); int typoLine = line();
        w.task("s", "t.sum").inputs("values", List.of(a.out("tensor"), typo));
        w.task("z", "t.noop").inputs("x", a.out("out")); int oneLine = line();
        SpecException e = assertThrows(SpecException.class, () -> w.build(CATALOG));
        assertEquals(List.of(
                "JavaDslTest.java:" + typoLine + ": error: task 'a' (t.source) has no output 'tensr' (did you mean 'tensor'?)",
                "JavaDslTest.java:" + oneLine + ": error: task 'a' (t.source) has no output 'out' (expected one of: tensor)"),
                e.lines());
    }

    @Test
    void otherMistakesAreReportedAtTheirCalls() {
        Workflow w = Workflow.named("mistakes");
        Task a = w.task("a", "t.sorce"); int typeLine = line();
        Task b = w.task("b", "t.source").with("shape", "wide"); int paramLine = line();
        w.task("s", "t.sum").inputs("value", b.out("tensor")); int inputLine = line();
        w.task("t", "t.sum").inputsAtLeast("values", 3, b.out("tensor")); int minLine = line();
        w.task("u", "t.noop").timeout("soon"); int timeoutLine = line();
        w.task("b", "t.noop"); int duplicateLine = line();
        SpecException e = assertThrows(SpecException.class, () -> w.build(CATALOG));
        List<String> lines = e.lines();
        assertEquals(7, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("JavaDslTest.java:" + typeLine + ": error: unknown node type 't.sorce' (did you mean 't.source'?)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("JavaDslTest.java:" + paramLine + ": error: param 'shape' of t.source expects"), lines.get(1));
        assertTrue(lines.contains("JavaDslTest.java:" + inputLine + ": error: unknown input 'value' for t.sum (did you mean 'values'?)"), lines.toString());
        assertTrue(lines.contains("JavaDslTest.java:" + inputLine + ": error: t.sum needs input 'values' (tensors to add)"), lines.toString());
        assertTrue(lines.contains("JavaDslTest.java:" + minLine + ": error: min-success of input 'values' is 3 but the list has only 1 output"
                + " (use at most 1, or leave it out to need them all)"), lines.toString());
        assertTrue(lines.get(5).startsWith("JavaDslTest.java:" + timeoutLine + ": error: invalid timeout 'soon' for task 'u'"), lines.get(5));
        assertEquals("JavaDslTest.java:" + duplicateLine + ": error: duplicate task id 'b' (first added at line " + paramLine + ")", lines.get(6));
        assertEquals("t.sorce", a.type());
    }

    @Test
    void forEachMakesOneTaskPerItemWithIndexedIds() throws Exception {
        Random rnd = new Random();
        List<Integer> sizes = List.of(1 + rnd.nextInt(100), 1 + rnd.nextInt(100), 1 + rnd.nextInt(100));
        Workflow w = Workflow.named("sweep");
        TaskGroup parts = w.forEach("part", "t.source", sizes, (size, i, t) -> t.with("shape", List.of(size, i + 1)));
        w.task("total", "t.sum").inputs("values", parts.out("tensor"));
        WorkflowSpec spec = w.build(CATALOG).spec();
        assertEquals(List.of("part[0]", "part[1]", "part[2]", "total"), spec.tasks().stream().map(t -> t.id()).toList());
        for (int i = 0; i < sizes.size(); i++) {
            assertEquals("[" + sizes.get(i) + "," + (i + 1) + "]", spec.tasks().get(i).with().get("shape").toString());
        }
        assertEquals(new InputBinding.Many(List.of(new OutputRef("part[0]", "tensor"), new OutputRef("part[1]", "tensor"),
                new OutputRef("part[2]", "tensor"))), spec.task("total").orElseThrow().inputs().get("values"));
    }

    @Test
    void paramsTakeOverridesAsYamlValuesAndRejectOnesThatDoNotFit() {
        int n = new Random().nextInt(1000);
        Params p = Params.of(Map.of("n", Integer.toString(n), "rate", "0.5", "name", "12", "deep", "yes", "nme", "x"));
        assertEquals(n, p.integer("n", 3));
        assertEquals(0.5, p.number("rate", 1.0));
        assertEquals("12", p.text("name", "a"));
        assertEquals(7, p.integer("unset", 7));
        Params.ParamException e = assertThrows(Params.ParamException.class, () -> p.flag("deep", false));
        assertEquals("--param deep=yes: param 'deep' is true or false (its default is false)", e.getMessage());
        assertEquals("{\"n\":" + n + ",\"rate\":0.5,\"name\":\"12\",\"unset\":7}", p.values().toString());
        assertEquals(List.of("unknown param 'nme' (given by --param) (did you mean 'name'?)"), p.unknownOverrides());
    }
}
