package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mtflow.dsl.WorkflowLoaderTest.errors;
import static org.mtflow.dsl.WorkflowLoaderTest.load;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.WorkflowSpec;

/** {@code when:} in workflow files: read, checked at its place in the file, and written back. */
class WhenLoaderTest {
    private static final String FILE = """
            name: gated
            params: {limit: 0.9, mode: fast}
            tasks:
              a: {type: t.source, with: {shape: [4]}}
              b:
                type: t.noop
                inputs: {x: a.tensor}
                when: ${tasks.a.metrics.accuracy} < ${params.limit}
              c:
                type: t.noop
                inputs: {x: a.tensor}
                when: "'${params.mode}' == 'fast' and not (${tasks.b.status} == 'failed')"
              d:
                type: t.source
                with: {shape: [1]}
                when: true
            """;

    @Test
    void readsTheExpressionWithParamsSubstitutedAndWritesItBack() throws SpecException {
        WorkflowSpec spec = load(FILE);
        assertEquals("${tasks.a.metrics.accuracy} < 0.9", spec.task("b").orElseThrow().when());
        assertEquals("'fast' == 'fast' and not (${tasks.b.status} == 'failed')", spec.task("c").orElseThrow().when());
        assertEquals("true", spec.task("d").orElseThrow().when());
        assertEquals(null, spec.task("a").orElseThrow().when());
        String yaml = WorkflowWriter.toYaml(spec);
        assertEquals(spec, load(yaml), yaml);
        assertEquals(spec, load(FILE, Map.of("limit", "0.9")));
    }

    @Test
    void aSyntaxErrorNamesTheValuesPlaceAndTheColumnInTheExpression() {
        assertEquals(List.of("w.yaml:5:11: error: when: comparisons do not chain: '<' after a comparison (join them with"
                        + " 'and'), at column 26 of '0 < ${tasks.a.metrics.x} < 1'"),
                errors("""
                        name: w
                        tasks:
                          a: {type: t.source, with: {shape: [4]}}
                          b:
                            when: 0 < ${tasks.a.metrics.x} < 1
                            type: t.source
                            with: {shape: [4]}
                        """));
        assertEquals(List.of("w.yaml:4:49: error: when: unknown field 'metric' in '${tasks.a.metric.x}' (did you mean"
                        + " 'metrics'? expected ${tasks.<task>.metrics.<name>} or ${tasks.<task>.status}), at column 1 of"
                        + " '${tasks.a.metric.x} > 1'"),
                errors("""
                        name: w
                        tasks:
                          a: {type: t.source, with: {shape: [4]}}
                          b: {type: t.source, with: {shape: [4]}, when: "${tasks.a.metric.x} > 1"}
                        """));
    }

    @Test
    void unknownTasksSelfReferencesCyclesAndBadValuesAreReportedAtTheWhenValue() {
        assertEquals(List.of(
                        "w.yaml:5:11: error: when refers to unknown task 'trian' (did you mean 'train'?)",
                        "w.yaml:9:11: error: when of task 'c' refers to the task itself (a condition can only read tasks"
                                + " that end before this one starts)",
                        "w.yaml:13:11: error: when must be an expression such as \"${tasks.eval.metrics.accuracy} < 0.9\","
                                + " got a list"),
                errors("""
                        name: w
                        tasks:
                          train: {type: t.source, with: {shape: [4]}}
                          b:
                            when: ${tasks.trian.metrics.loss} < 1
                            type: t.source
                            with: {shape: [4]}
                          c:
                            when: ${tasks.c.status} == 'succeeded'
                            type: t.source
                            with: {shape: [4]}
                          e:
                            when: [a, b]
                            type: t.source
                            with: {shape: [4]}
                        """));
        assertEquals(List.of("w.yaml:6:11: error: cycle: b -> a -> b (a task cannot depend on its own outputs)"),
                errors("""
                        name: w
                        tasks:
                          b: {type: t.noop, inputs: {x: a.tensor}}
                          a:
                            type: t.source
                            when: ${tasks.b.status} == 'succeeded'
                            with: {shape: [4]}
                        """));
    }
}
