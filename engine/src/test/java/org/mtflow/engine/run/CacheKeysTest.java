package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.store.ArtifactRef;

class CacheKeysTest {
    private static final ArtifactRef A = new ArtifactRef("a".repeat(64), 10);
    private static final ArtifactRef B = new ArtifactRef("b".repeat(64), 20);

    private static ObjectNode json(String text) throws Exception {
        return (ObjectNode) Json.MAPPER.readTree(text.replace('\'', '"'));
    }

    private static String key(String type, int version, String task, String params, Map<String, List<ArtifactRef>> in,
                              long seed) throws Exception {
        return CacheKeys.of(type, version, task, json(params), in, seed);
    }

    private static String base() throws Exception {
        return key("util.sum", 1, "t", "{'lr': 0.1, 'layers': [1, 2], 'opt': {'name': 'adam', 'beta': 0.9}}",
                Map.of("x", List.of(A), "y", List.of(B)), 42);
    }

    @Test
    void isAHexSha256AndRepeatable() throws Exception {
        assertTrue(base().matches("[0-9a-f]{64}"), base());
        assertEquals(base(), base());
    }

    @Test
    void doesNotDependOnParamKeyOrderAtAnyLevel() throws Exception {
        Map<String, List<ArtifactRef>> in = new LinkedHashMap<>();
        in.put("y", List.of(B));
        in.put("x", List.of(A));
        assertEquals(base(), key("util.sum", 1, "t", "{'opt': {'beta': 0.9, 'name': 'adam'}, 'layers': [1, 2], 'lr': 0.1}",
                in, 42));
    }

    @Test
    void changesWithEverythingThatChangesTheOutputs() throws Exception {
        String params = "{'lr': 0.1, 'layers': [1, 2], 'opt': {'name': 'adam', 'beta': 0.9}}";
        Map<String, List<ArtifactRef>> in = Map.of("x", List.of(A), "y", List.of(B));
        List<String> variants = List.of(
                key("util.sum", 2, "t", params, in, 42), // type version
                key("util.add", 1, "t", params, in, 42), // type
                key("util.sum", 1, "u", params, in, 42), // task id (its random streams are keyed by it)
                key("util.sum", 1, "t", params, in, 43), // seed
                key("util.sum", 1, "t", "{'lr': 0.2, 'layers': [1, 2], 'opt': {'name': 'adam', 'beta': 0.9}}", in, 42),
                key("util.sum", 1, "t", "{'lr': 0.1, 'layers': [2, 1], 'opt': {'name': 'adam', 'beta': 0.9}}", in, 42),
                key("util.sum", 1, "t", "{'lr': 0.1, 'layers': [1, 2], 'opt': {'name': 'sgd', 'beta': 0.9}}", in, 42),
                key("util.sum", 1, "t", "{'lr': 0.1, 'layers': [1, 2]}", in, 42), // a param left out
                key("util.sum", 1, "t", params, Map.of("x", List.of(B), "y", List.of(B)), 42), // an input hash
                key("util.sum", 1, "t", params, Map.of("x", List.of(A, B), "y", List.of(B)), 42), // one more input
                key("util.sum", 1, "t", params, Map.of("x", List.of(B), "y", List.of(A)), 42), // inputs swapped
                key("util.sum", 1, "t", params, Map.of("z", List.of(A), "y", List.of(B)), 42)); // input name
        Set<String> distinct = new HashSet<>(variants);
        distinct.add(base());
        assertEquals(variants.size() + 1, distinct.size(), "every variant gets its own key: " + variants);
    }

    @Test
    void theOrderOfAListInputMatters() throws Exception {
        assertNotEquals(key("util.sum", 1, "t", "{}", Map.of("v", List.of(A, B)), 1),
                key("util.sum", 1, "t", "{}", Map.of("v", List.of(B, A)), 1));
    }

    @Test
    void ignoresTheSizeRecordedInARef() throws Exception {
        // The hash names the content; the size is derived from it.
        assertEquals(key("t", 1, "t", "{}", Map.of("v", List.of(A)), 1),
                key("t", 1, "t", "{}", Map.of("v", List.of(new ArtifactRef(A.sha256(), 999))), 1));
    }

    @Test
    void doesNotModifyTheParamsItIsGiven() throws Exception {
        ObjectNode params = json("{'b': 1, 'a': {'d': 2, 'c': 3}}");
        String before = params.toString();
        CacheKeys.of("t", 1, "t", params, Map.of(), 1);
        assertEquals(before, params.toString());
    }
}
