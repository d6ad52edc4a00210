package org.mtflow.nodes.agent.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.nodes.TestSeeds;

/** A tool's arguments checked and turned into a subtask's params and inputs, without an engine. */
class ToolTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static Tool tool(String yaml, int inputs) throws Exception {
        return Tool.parse(YAML.readTree(yaml), inputs, "tools[0]");
    }

    private static String message(Tool t, String args, List<ArtifactRef> x) {
        return assertThrows(IllegalArgumentException.class, () -> t.bind(args, x, Map.of())).getMessage();
    }

    @Test
    void argumentsGoIntoTheNamedParamBesideItsFixedValues() throws Exception {
        long seed = TestSeeds.next();
        Random rnd = new Random(seed);
        double lambda = 0.3 + 1.2 * rnd.nextDouble();
        long k = rnd.nextInt(4);
        Tool t = tool("""
                node: merge.ties
                into: parameters
                params: {lambda: {range: [0.3, 1.5]}, k: {int: [0, 3]}, method: {choice: [sum, 1, true]}}
                fixed: {parameters: {normalize: true}, seed: 7}
                inputs: {base: [2], models: [0, 1]}
                """, 3);
        List<ArtifactRef> x = List.of(new ArtifactRef("a".repeat(64), 1), new ArtifactRef("b".repeat(64), 2), new ArtifactRef("c".repeat(64), 3));
        Tool.Bound b = t.bind("{\"lambda\": " + lambda + ", \"k\": " + k + ", \"method\": 1.0}", x, Map.of());
        JsonNode expected = Json.MAPPER.readTree("{\"seed\": 7, \"parameters\": {\"normalize\": true, \"lambda\": " + lambda + ", \"k\": " + k + ", \"method\": 1}}");
        assertEquals(expected, Json.MAPPER.readTree(b.params().toString()), "seed=" + seed); // reread: 2L and 2 are one JSON number
        assertEquals(Map.of("base", List.of(x.get(2)), "models", List.of(x.get(0), x.get(1))), b.inputs());
        assertEquals("argument 'method' = \"1\" is not one of [\"sum\",1,true]", message(t, "{\"lambda\": 1, \"k\": 0, \"method\": \"1\"}", x));
        assertEquals("argument 'k' = 4 is out of range [0, 3]", message(t, "{\"lambda\": 1, \"k\": 4, \"method\": true}", x));
        assertEquals("argument 'lambda' must be a number, got true", message(t, "{\"lambda\": true, \"k\": 0, \"method\": true}", x));

        JsonNode schema = t.definition().path("function").path("parameters");
        assertEquals(1.5, schema.path("properties").path("lambda").path("maximum").asDouble());
        assertEquals(3, schema.path("properties").path("k").path("maximum").asLong());
        assertEquals("[\"sum\",1,true]", schema.path("properties").path("method").path("enum").toString());
        assertEquals("[\"lambda\",\"k\",\"method\"]", schema.path("required").toString());
        assertTrue(!schema.path("additionalProperties").asBoolean(true));
    }

    @Test
    void aFromCallsInputTakesASucceededEarlierCallsOutput() throws Exception {
        Tool t = tool("{node: util.sum, from-calls: [values]}", 0);
        ArtifactRef tensor = new ArtifactRef("d".repeat(64), 16);
        Map<String, SubtaskResult> earlier = new java.util.LinkedHashMap<>();
        earlier.put("call1", new SubtaskResult("a/call1", true, Map.of("tensor", tensor), Json.MAPPER.createObjectNode(), null));
        earlier.put("call2", new SubtaskResult("a/call2", false, Map.of(), Json.MAPPER.createObjectNode(), "boom"));
        assertEquals(Map.of("values", List.of(tensor)), t.bind("{\"values\": \"call1.tensor\"}", List.of(), earlier).inputs());
        assertEquals(Json.MAPPER.createObjectNode(), t.bind("{\"values\": \"call1.tensor\"}", List.of(), earlier).params());
        String[][] bad = {
                {"{\"values\": \"call3.tensor\"}", "argument 'values' = \"call3.tensor\" names no earlier call; the calls so far are call1, call2"},
                {"{\"values\": \"call2.tensor\"}", "argument 'values' = \"call2.tensor\": call2 failed and has no outputs"},
                {"{\"values\": \"call1.model\"}", "argument 'values' = \"call1.model\": call1 has no output 'model'; its outputs are tensor"},
                {"{\"values\": \"/etc/passwd\"}", "argument 'values' must name an earlier call's output as call<N>.<output>, got \"/etc/passwd\""},
                {"{}", "missing argument 'values' for util_sum (an earlier call's output, e.g. call1.values)"},
        };
        for (String[] c : bad) {
            assertEquals(c[1], assertThrows(IllegalArgumentException.class, () -> t.bind(c[0], List.of(), earlier)).getMessage(), c[0]);
        }
    }

    @Test
    void inputIndicesMustBeInX() {
        var e = assertThrows(IllegalArgumentException.class, () -> tool("{node: util.sum, inputs: {values: [0, 2]}}", 2));
        assertEquals("tools[0].inputs.values: 2 is not an index of x (it holds 2 artifacts: 0..1)", e.getMessage());
    }
}
