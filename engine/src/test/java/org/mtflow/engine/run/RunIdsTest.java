package org.mtflow.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RunIdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"run-1", "a", "mtl.v2_final-3", "20260101-120000-000", "X.."})
    void acceptsSafeNames(String id) {
        assertTrue(RunIds.valid(id), id);
        RunIds.check(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "..", ".", ".hidden", "a/b", "a\\b", "/abs", "x/../../y", "", " ", "a b", "-rf",
            "_x", "run\n1", "café", "a:b"})
    void rejectsNamesThatCouldEscapeOrBreakTheRunsDirectory(String id) {
        assertFalse(RunIds.valid(id), id);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunIds.check(id));
        assertTrue(e.getMessage().contains("invalid run id"), e.getMessage());
    }

    @Test
    void rejectsNullAndOverlongIds() {
        assertFalse(RunIds.valid(null));
        char[] max = new char[128];
        Arrays.fill(max, 'a');
        assertTrue(RunIds.valid(new String(max)));
        assertFalse(RunIds.valid(new String(max) + "a"));
    }

    @Test
    void freshIdsAreValidWhateverTheWorkflowIsCalled() {
        for (String name : Arrays.asList("mnist", "my flow/../../etc", "..", "", null, "-x", "é".repeat(300))) {
            String id = RunIds.fresh(name);
            assertTrue(RunIds.valid(id), name + " -> " + id);
        }
        assertTrue(RunIds.fresh("mnist").startsWith("mnist-"));
        assertTrue(RunIds.fresh("my flow").startsWith("my-flow-"));
    }

    @Test
    void runOptionsCheckTheirValues() {
        assertThrows(IllegalArgumentException.class, () -> new RunOptions("../x", "", true, 0));
        assertThrows(IllegalArgumentException.class, () -> new RunOptions("ok", "", true, -1));
        assertEquals("ok", new RunOptions("ok", "", true, 0).runId());
    }

    @Test
    void attemptKeysNameRunTaskAndAttempt() {
        TaskAssignment a = new TaskAssignment("r", "t", 2, "x", null, java.util.Map.of(), 1, 0, null, 1);
        assertEquals("r/t#2", a.key());
        assertEquals(List.of(), List.copyOf(a.inputs().keySet()));
    }
}
