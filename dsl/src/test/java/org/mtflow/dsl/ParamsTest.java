package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mtflow.dsl.WorkflowLoaderTest.errors;
import static org.mtflow.dsl.WorkflowLoaderTest.json;
import static org.mtflow.dsl.WorkflowLoaderTest.load;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/** {@code ${params.x}} substitution and {@code --param} overrides. */
class ParamsTest {
    static final String FLOW = """
            name: run-${params.n}
            seed: ${params.n}
            params: {n: 3, shape: [2, 3], tag: v1}
            tasks:
              a: {type: t.source, with: {shape: "${params.shape}", seed: "${params.n}"}}
              b:
                type: t.sum
                inputs: {values: [a.tensor]}
                with:
                  label: ${params.tag}-n${params.n} costs $$5, not $${params.n}
                  scale: ${params.n}
            """;

    @Test
    void wholeValuesKeepTheirTypeAndSplicedValuesBecomeText() throws SpecException {
        WorkflowSpec spec = load(FLOW);
        assertEquals("run-3", spec.name());
        assertEquals(3, spec.seed());
        assertEquals(json("{\"n\": 3, \"shape\": [2, 3], \"tag\": \"v1\"}"), spec.params());
        TaskSpec a = spec.task("a").orElseThrow();
        assertEquals(json("{\"shape\": [2, 3], \"seed\": 3}"), a.with());
        TaskSpec b = spec.task("b").orElseThrow();
        assertEquals(json("{\"label\": \"v1-n3 costs $$5, not ${params.n}\", \"scale\": 3}"), b.with());
    }

    @Test
    void overridesReplaceParamsBeforeSubstitution() throws SpecException {
        WorkflowSpec spec = load(FLOW, Map.of("n", "5", "shape", "[4, 5]", "tag", "abc"));
        assertEquals("run-5", spec.name());
        assertEquals(5, spec.seed());
        assertEquals(json("{\"n\": 5, \"shape\": [4, 5], \"tag\": \"abc\"}"), spec.params());
        assertEquals(json("{\"shape\": [4, 5], \"seed\": 5}"), spec.task("a").orElseThrow().with());
        assertEquals(json("{\"label\": \"abc-n5 costs $$5, not ${params.n}\", \"scale\": 5}"),
                spec.task("b").orElseThrow().with());
    }

    @Test
    void overrideValuesAreParsedAsYaml() throws SpecException {
        WorkflowSpec spec = load(FLOW, Map.of("tag", "42", "shape", "[7]"));
        assertEquals(json("42"), spec.params().get("tag"));
        assertEquals(json("[7]"), spec.params().get("shape"));
        assertEquals("42-n3 costs $$5, not ${params.n}", spec.task("b").orElseThrow().with().get("label").asText());
        // A quoted value stays a string.
        assertEquals(json("\"42\""), load(FLOW, Map.of("tag", "\"42\"")).params().get("tag"));
    }

    @Test
    void overrideOfAnUndeclaredParam() {
        assertEquals(List.of("w.yaml:3:1: error: unknown param 'nn' (given by --param); declare it under params:"
                + " (did you mean 'n'?)"), errors(FLOW, Map.of("nn", "5"), null));
        assertEquals(List.of("w.yaml:1:1: error: unknown param 'n' (given by --param); declare it under params:"), errors("""
                name: x
                tasks: {a: {type: t.noop}}
                """, Map.of("n", "5"), null));
    }

    @Test
    void overrideThatIsNotYaml() {
        assertEquals(List.of("w.yaml:3:16: error: --param shape=[4, 5: invalid YAML: expected ',' or ']', but got <stream end>"
                + " (while parsing a flow sequence)"), errors(FLOW, Map.of("shape", "[4, 5"), null));
    }

    @Test
    void overrideOfTheWrongTypeIsReportedWhereTheParamIsUsed() {
        assertEquals(List.of(
                "w.yaml:5:30: error: param 'shape' of t.source expects a list of integers, got string \"wide\""),
                errors(FLOW, Map.of("shape", "wide"), null));
    }

    @Test
    void unknownParamReferenceWithSuggestion() {
        assertEquals(List.of(
                "w.yaml:4:37: error: unknown param 'shap' in '${params.shap}' (did you mean 'shape'?)",
                "w.yaml:5:34: error: unknown param 'x' in 'a ${params.x} b' (did you mean 'n'?)"), errors("""
                name: x
                params: {n: 3, shape: [2]}
                tasks:
                  a: {type: t.source, with: {shape: "${params.shap}"}}
                  b: {type: t.sum, with: {label: "a ${params.x} b"}, inputs: {values: [a.tensor]}}
                """));
    }

    @Test
    void referenceWithoutParamsDeclared() {
        assertEquals(List.of("w.yaml:2:36: error: unknown param 'n' in '${params.n}' (declare it under params:)"), errors("""
                name: x
                tasks: {a: {type: t.any, with: {a: "${params.n}"}}}
                """));
    }

    @Test
    void otherDollarTextIsLeftAlone() throws SpecException {
        WorkflowSpec spec = load("""
                name: x
                params: {n: 1}
                tasks:
                  a: {type: t.any, with: {a: "${HOME} $5 ${params.n", b: "${params.n}${params.n}"}}
                """);
        assertEquals(json("{\"a\": \"${HOME} $5 ${params.n\", \"b\": \"11\"}"), spec.tasks().get(0).with());
    }
}
