package org.mtflow.engine.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.spec.Problem;

class ParamsBinderTest {

    enum Mode { FAST, CAREFUL }

    record TrainParams(
            @Required @Doc("examples per step") Integer batchSize,
            @Doc("step size, default 0.01") Double learningRate,
            String optimizerName,
            List<Integer> hiddenLayers,
            Map<String, Double> taskWeights,
            Boolean shuffle,
            Long maxSteps,
            Mode mode) {
        TrainParams {
            if (batchSize != null && batchSize < 1) throw new IllegalArgumentException("batch-size must be at least 1, got " + batchSize);
            if (learningRate == null) learningRate = 0.01;
            if (shuffle == null) shuffle = true;
        }
    }

    /** A node type that only carries a params record, for check(). */
    record ParamsOnly<P extends Record>(Class<P> paramsType) implements NodeType<P> {
        @Override public String name() { return "test.train"; }
        @Override public String description() { return "params only"; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(); }
        @Override public void run(TaskContext<P> ctx) {}
    }

    private static final NodeType<TrainParams> TRAIN = new ParamsOnly<>(TrainParams.class);

    private static ObjectNode json(String text) throws Exception {
        return (ObjectNode) Json.MAPPER.readTree(text.replace('\'', '"'));
    }

    private static List<Problem> check(String with) throws Exception {
        return ParamsBinder.check(TRAIN, json(with), List.of("tasks", "t", "with"));
    }

    private static String describe(List<Problem> problems) {
        return problems.stream().map(p -> p.pathText() + ": " + p.text()).collect(Collectors.joining("; "));
    }

    @Test
    void paramNamesAreKebabCase() {
        assertEquals("batch-size", ParamsBinder.kebab("batchSize"));
        assertEquals("learning-rate", ParamsBinder.kebab("learningRate"));
        assertEquals("lr", ParamsBinder.kebab("lr"));
        assertEquals("top-k2-mode", ParamsBinder.kebab("topK2Mode"));
        assertEquals(List.of("batch-size", "learning-rate", "optimizer-name", "hidden-layers", "task-weights", "shuffle",
                "max-steps", "mode"), ParamsBinder.describe(TrainParams.class).stream().map(ParamsBinder.ParamInfo::name).toList());
    }

    @Test
    void describeGivesRequiredFlagDocAndReadableTypes() {
        List<ParamsBinder.ParamInfo> info = ParamsBinder.describe(TrainParams.class);
        assertTrue(info.get(0).required());
        assertEquals("examples per step", info.get(0).doc());
        assertEquals("an integer", info.get(0).typeName());
        assertTrue(info.stream().skip(1).noneMatch(ParamsBinder.ParamInfo::required));
        assertEquals("", info.get(2).doc());
        assertEquals(List.of("an integer", "a number", "a string", "a list of integers", "a map of numbers",
                "true or false", "an integer", "one of fast, careful"),
                info.stream().map(ParamsBinder.ParamInfo::typeName).toList());
    }

    @Test
    void bindsKebabCaseKeysIntoTheRecordAndAppliesItsDefaults() throws Exception {
        TrainParams p = ParamsBinder.bind(TrainParams.class, json(
                "{'batch-size': 32, 'optimizer-name': 'adam', 'hidden-layers': [64, 32], 'task-weights': {'a': 0.5, 'b': 2},"
                        + " 'max-steps': 10000000000, 'mode': 'FAST'}"));
        assertEquals(new TrainParams(32, 0.01, "adam", List.of(64, 32), Map.of("a", 0.5, "b", 2.0), true, 10_000_000_000L,
                Mode.FAST), p);
    }

    @Test
    void aValidMapHasNoProblems() throws Exception {
        List<Problem> problems = check("{'batch-size': 8, 'learning-rate': 1, 'shuffle': false}");
        assertTrue(problems.isEmpty(), () -> describe(problems));
    }

    @Test
    void missingRequiredParamIsReported() throws Exception {
        List<Problem> problems = check("{'learning-rate': 0.1}");
        assertEquals(1, problems.size(), () -> describe(problems));
        assertEquals("tasks.t.with", problems.get(0).pathText());
        assertEquals("test.train needs param 'batch-size' (an integer)", problems.get(0).message());
    }

    @Test
    void unknownParamIsReportedWithASuggestion() throws Exception {
        List<Problem> problems = check("{'batch-size': 8, 'learning_rate': 0.1}");
        assertEquals(1, problems.size(), () -> describe(problems));
        Problem p = problems.get(0);
        assertEquals("tasks.t.with.learning_rate", p.pathText());
        assertEquals("unknown param 'learning_rate' for test.train", p.message());
        assertEquals("did you mean 'learning-rate'?", p.suggestion());
    }

    @Test
    void camelCaseKeysAreNotAccepted() throws Exception {
        List<Problem> problems = check("{'batchSize': 8}");
        assertEquals(List.of("tasks.t.with.batchSize", "tasks.t.with"), problems.stream().map(Problem::pathText).toList());
        assertEquals("did you mean 'batch-size'?", problems.get(0).suggestion());
    }

    @Test
    void aNodeWithoutParamsSaysSo() throws Exception {
        List<Problem> problems = ParamsBinder.check(new ParamsOnly<>(NoParams.class), json("{'x': 1}"), List.of("with"));
        assertEquals("test.train takes no params", problems.get(0).suggestion());
    }

    @Test
    void stringForAnIntegerIsRejected() throws Exception {
        List<Problem> problems = check("{'batch-size': '32'}");
        assertEquals(1, problems.size(), () -> describe(problems));
        assertEquals("tasks.t.with.batch-size", problems.get(0).pathText());
        assertEquals("param 'batch-size' of test.train expects an integer, got string \"32\"", problems.get(0).message());
    }

    @Test
    void floatForAnIntegerIsRejected() throws Exception {
        List<Problem> problems = check("{'batch-size': 32.5}");
        assertEquals(1, problems.size(), () -> describe(problems));
        assertEquals("param 'batch-size' of test.train expects an integer, got number 32.5", problems.get(0).message());
        assertEquals(1, check("{'batch-size': 8, 'max-steps': 1.0}").size(), "1.0 is not an integer either");
    }

    @Test
    void otherWrongTypesAreRejected() throws Exception {
        assertEquals(1, check("{'batch-size': 8, 'learning-rate': '0.1'}").size(), "string for a number");
        assertEquals(1, check("{'batch-size': 8, 'shuffle': 'yes'}").size(), "string for a boolean");
        assertEquals(1, check("{'batch-size': 8, 'shuffle': 1}").size(), "integer for a boolean");
        assertEquals(1, check("{'batch-size': 8, 'optimizer-name': 3}").size(), "integer for a string");
        assertEquals(1, check("{'batch-size': 8, 'optimizer-name': true}").size(), "boolean for a string");
        assertEquals(1, check("{'batch-size': 8, 'hidden-layers': [1, 'two']}").size(), "bad list element");
        assertEquals(1, check("{'batch-size': 8, 'hidden-layers': 3}").size(), "scalar for a list");
        assertEquals(1, check("{'batch-size': 8, 'task-weights': {'a': 'x'}}").size(), "bad map value");
        assertEquals(1, check("{'batch-size': 8, 'mode': 'turbo'}").size(), "unknown enum value");
    }

    @Test
    void enumValuesAreAcceptedAsTheErrorMessagesSpellThem() throws Exception {
        // The type name tells users to write "fast"; that spelling must bind.
        List<Problem> problems = check("{'batch-size': 8, 'mode': 'careful'}");
        assertTrue(problems.isEmpty(), () -> describe(problems));
        assertEquals(Mode.CAREFUL, ParamsBinder.bind(TrainParams.class, json("{'batch-size': 8, 'mode': 'careful'}")).mode());
    }

    @Test
    void everyProblemOfAMapIsReported() throws Exception {
        List<Problem> problems = check("{'batch-size': 'x', 'shuffel': true, 'learning-rate': []}");
        assertEquals(List.of("tasks.t.with.batch-size", "tasks.t.with.shuffel", "tasks.t.with.learning-rate"),
                problems.stream().map(Problem::pathText).toList(), () -> describe(problems));
    }

    @Test
    void recordConstructorRejectionsKeepTheirOwnMessage() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParamsBinder.bind(TrainParams.class, json("{'batch-size': 0}")));
        assertEquals("batch-size must be at least 1, got 0", e.getMessage());
        List<Problem> problems = check("{'batch-size': 0}");
        assertEquals(1, problems.size(), () -> describe(problems));
        assertEquals("invalid params for test.train: batch-size must be at least 1, got 0", problems.get(0).message());
    }

    @Test
    void absentOptionalParamsAreNull() throws Exception {
        TrainParams p = ParamsBinder.bind(TrainParams.class, json("{'batch-size': 4}"));
        assertNull(p.optimizerName());
        assertNull(p.hiddenLayers());
        assertNull(p.mode());
    }
}
