package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.testkit.Specs;

class SpecModelTest {

    @Test
    void outputRefsSplitAtTheLastDot() {
        assertEquals(Optional.of(new OutputRef("train", "model")), OutputRef.parse("train.model"));
        assertEquals(Optional.of(new OutputRef("prep.mnist", "train")), OutputRef.parse("prep.mnist.train"));
        assertEquals("prep.mnist.train", new OutputRef("prep.mnist", "train").toString());
        for (String bad : List.of("train", ".model", "train.", "", ".")) {
            assertTrue(OutputRef.parse(bad).isEmpty(), bad);
        }
    }

    @Test
    void problemPathsPrintAsDottedTextWithIndexes() {
        Problem p = Problem.at(List.of("tasks", "b", "inputs", "values", 1), "bad", "fix it");
        assertEquals("tasks.b.inputs.values[1]", p.pathText());
        assertEquals("bad (fix it)", p.text());
        assertEquals("bad", Problem.at(List.of(), "bad").text());
    }

    @Test
    void specsAreImmutableCopies() {
        ObjectNode with = Json.MAPPER.createObjectNode().put("n", 3);
        Map<String, InputBinding> inputs = new LinkedHashMap<>();
        TaskSpec t = new TaskSpec("a", "test.source", with, inputs, RetryPolicy.NONE, null, Resources.DEFAULT, true);
        with.put("n", 4);
        inputs.put("x", new InputBinding.One(new OutputRef("b", "out")));
        assertEquals(3, t.with().get("n").asInt(), "the task keeps its own copy of its params");
        assertTrue(t.inputs().isEmpty(), "the task keeps its own copy of its inputs");
        assertThrows(UnsupportedOperationException.class, () -> t.inputs().put("y", null));

        List<TaskSpec> tasks = new ArrayList<>(List.of(t));
        WorkflowSpec w = new WorkflowSpec("w", 1, Json.MAPPER.createObjectNode(), tasks);
        tasks.clear();
        assertEquals(1, w.tasks().size());
        assertEquals(Optional.of(t), w.task("a"));
        assertTrue(w.task("zz").isEmpty());
    }

    @Test
    void tasksByIdKeepsDeclarationOrder() {
        WorkflowSpec w = Specs.diamond(1, 4);
        assertEquals(List.of("src", "left", "right", "total"), List.copyOf(w.tasksById().keySet()));
    }

    @Test
    void inputBindingsSerializeAsWrittenInWorkflowFiles() throws Exception {
        assertEquals("\"a.out\"", Json.MAPPER.writeValueAsString(new InputBinding.One(new OutputRef("a", "out"))));
        assertEquals("[\"a.out\",\"b.y\"]", Json.MAPPER.writeValueAsString(
                new InputBinding.Many(List.of(new OutputRef("a", "out"), new OutputRef("b", "y")))));
        assertEquals("[\"a.out\",\"b.y\"]", Json.MAPPER.writeValueAsString(
                new InputBinding.Many(List.of(new OutputRef("a", "out"), new OutputRef("b", "y")), 2)));
        assertEquals("{\"from\":[\"a.out\",\"b.y\"],\"min-success\":1}", Json.MAPPER.writeValueAsString(
                new InputBinding.Many(List.of(new OutputRef("a", "out"), new OutputRef("b", "y")), 1)));
    }

    @Test
    void aListNeedsAllOfItsOutputsUnlessToldOtherwise() {
        List<OutputRef> refs = List.of(new OutputRef("a", "out"), new OutputRef("b", "y"), new OutputRef("c", "z"));
        InputBinding.Many all = new InputBinding.Many(refs);
        assertEquals(3, all.minSuccess());
        assertEquals(new InputBinding.Many(refs, 3), all);
        assertFalse(all.partial());
        InputBinding.Many some = new InputBinding.Many(refs, 2);
        assertTrue(some.partial());
        assertEquals(refs, some.refs());
        assertNotEquals(all, some, "min-success is part of the binding's identity");
        assertEquals(0, new InputBinding.Many(List.of()).minSuccess());
    }
}
