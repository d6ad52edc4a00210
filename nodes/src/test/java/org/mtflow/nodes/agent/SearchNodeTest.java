package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.spec.Problem;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

class SearchNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns(new FunctionNode());

    private static final Map<String, Object> SPACE = Map.of("x", Map.of("range", List.of(0.0, 1.0)), "k", Map.of("int", List.of(0, 4)));

    /** The space as the search parses it (dimension order as the map gives it to the spec). */
    private static SearchSpace space() {
        return SearchSpace.parse(Json.MAPPER.valueToTree(SPACE), "space");
    }

    /** Template: f of the candidate, then a pass-through of its output, so a step waits on another. */
    private static Map<String, Object> template(Map<String, Object> extraFunctionParams) {
        Map<String, Object> with = new LinkedHashMap<>(Map.of("x", "${candidate.x}", "k", "${candidate.k}"));
        with.putAll(extraFunctionParams);
        Map<String, Object> tasks = new LinkedHashMap<>();
        tasks.put("fn", Map.of("type", "test.function", "with", with));
        tasks.put("after", Map.of("type", "util.noop", "inputs", Map.of("x", "fn.out")));
        return Map.of("tasks", tasks);
    }

    private static Workflows.Task search(long seed, Map<String, Object> template, Object objective, Map<String, Object> budget) {
        return Workflows.named("search", seed).task("s", "agent.search")
                .with("space", SPACE).with("template", template).with("objective", objective).with("budget", budget);
    }

    /** What the random policy proposes first, the reference the test checks the search against. */
    private static List<Candidate> proposals(long seed, int n) {
        return new RandomPolicy(space(), seed).propose(List.of(), n);
    }

    private static double f(Candidate c) {
        return FunctionNode.f((Double) c.params().get("x"), (Long) c.params().get("k"), 0.3);
    }

    private static JsonNode json(NodeRuns.Run run, String output) throws Exception {
        return Json.MAPPER.readTree(Files.readAllBytes(run.artifact("s", output)));
    }

    @Test
    void aRandomSearchFindsTheBestOfItsCandidatesExactly() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(search(seed, template(Map.of()), Map.of("metric", "fn.f", "goal", "maximize"),
                Map.of("candidates", 12, "parallel", 4)).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        List<Candidate> expected = proposals(seed, 12);
        int best = 0;
        for (int i = 1; i < 12; i++) if (f(expected.get(i)) > f(expected.get(best))) best = i;
        JsonNode trace = json(run, "trace");
        assertEquals(12, trace.path("candidates").size(), msg);
        for (int i = 0; i < 12; i++) {
            JsonNode e = trace.path("candidates").get(i);
            Candidate c = expected.get(i);
            assertEquals(i, e.path("index").asInt(), msg);
            assertEquals((Double) c.params().get("x"), e.path("params").path("x").asDouble(), msg);
            assertEquals((long) (Long) c.params().get("k"), e.path("params").path("k").asLong(), msg);
            assertEquals("succeeded", e.path("status").asText(), msg);
            assertEquals(f(c), e.path("metrics").path("fn.f").asDouble(), msg);
            assertEquals(run.hash("s/c" + i + ".fn", "out"), e.path("outputs").path("fn").path("out").asText(), msg);
            assertEquals(run.hash("s/c" + i + ".after", "out"), e.path("outputs").path("after").path("out").asText(), msg);
            assertEquals("succeeded", run.status("s/c" + i + ".after"), msg);
        }
        JsonNode b = json(run, "best").path("best");
        assertEquals(best, b.path("index").asInt(), msg);
        assertEquals(f(expected.get(best)), b.path("metrics").path("fn.f").asDouble(), msg);
        assertEquals(best, run.metrics("s").path("best-index").asInt(), msg);
        assertEquals(f(expected.get(best)), run.metrics("s").path("best-score").asDouble(), msg);
        assertEquals(12, run.metrics("s").path("candidates").asInt(), msg);
        assertEquals(0, run.metrics("s").path("failed").asInt(), msg);
        assertEquals("candidates", run.metrics("s").path("stopped").asText(), msg);
    }

    @Test
    void halvingSetsItsBudgetParamWhichTheTemplateMayUse() throws Exception {
        long seed = TestSeeds.next();
        Map<String, Object> space = Map.of("x", Map.of("range", List.of(0.0, 1.0)));
        Map<String, Object> options = Map.of("budget-param", "k", "min", 1, "max", 4, "eta", 2);
        NodeRuns.Run run = runs.run(Workflows.named("halving", seed).task("s", "agent.search")
                .with("space", space).with("policy", "halving").with("policy-options", options)
                .with("template", template(Map.of())).with("objective", Map.of("metric", "fn.f"))
                .with("budget", Map.of("candidates", 100, "parallel", 8)).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        // The same policy shown what f gives, rung by rung: the candidates the search must have run.
        SearchPolicy policy = SearchPolicies.named("halving").orElseThrow()
                .create(SearchSpace.parse(Json.MAPPER.valueToTree(space), "space"), Json.MAPPER.valueToTree(options), seed);
        List<Observation> history = new ArrayList<>();
        for (List<Candidate> batch; !(batch = policy.propose(history, 8)).isEmpty(); ) {
            for (Candidate c : batch) history.add(new Observation(c, new double[] {f(c)}));
        }
        JsonNode trace = json(run, "trace").path("candidates");
        assertEquals(history.size(), trace.size(), msg);
        assertEquals(4 + 2 + 1, history.size(), "rungs of 4, 2, 1 at budgets 1, 2, 4 (n = eta^(rungs - 1))");
        for (int i = 0; i < history.size(); i++) {
            Candidate c = history.get(i).candidate();
            assertEquals(((Number) c.params().get("k")).longValue(), trace.get(i).path("params").path("k").asLong(), msg + " candidate " + i);
            assertEquals(f(c), trace.get(i).path("metrics").path("fn.f").asDouble(), 1e-12, msg + " candidate " + i);
        }
    }

    @Test
    void minimizingNegatesTheScoreAndAnExplicitSeedOverridesTheRuns() throws Exception {
        long seed = TestSeeds.next();
        long policySeed = seed ^ 0x5EED;
        NodeRuns.Run run = runs.run(search(seed, template(Map.of()), Map.of("metric", "fn.f", "goal", "minimize"),
                Map.of("candidates", 7, "parallel", 3)).with("seed", policySeed).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        List<Candidate> expected = proposals(policySeed, 7);
        int best = 0;
        for (int i = 1; i < 7; i++) if (f(expected.get(i)) < f(expected.get(best))) best = i;
        assertEquals(best, json(run, "best").path("best").path("index").asInt(), msg);
        assertEquals(f(expected.get(best)), run.metrics("s").path("best-score").asDouble(), msg);
    }

    @Test
    void failedCandidatesAreRecordedAndTheSearchGoesOn() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(search(seed, template(Map.of("fail-below", 0.5)), Map.of("metric", "fn.f"),
                Map.of("candidates", 10, "parallel", 5)).build());
        String msg = "seed=" + seed + ": " + run.report();
        List<Candidate> expected = proposals(seed, 10);
        long failures = expected.stream().filter(c -> (Double) c.params().get("x") < 0.5).count();
        if (failures == 10) {
            assertFalse(run.outcome().ok(), msg);
            assertTrue(run.events("TaskFailed", "s").get(0).path("message").asText().contains("all 10 candidates failed"), msg);
            return;
        }
        assertTrue(run.outcome().ok(), msg);
        int best = -1;
        for (int i = 0; i < 10; i++) {
            Candidate c = expected.get(i);
            boolean fails = (Double) c.params().get("x") < 0.5;
            JsonNode e = json(run, "trace").path("candidates").get(i);
            assertEquals(fails ? "failed" : "succeeded", e.path("status").asText(), msg);
            if (fails) {
                assertEquals("fn", e.path("failed-task").asText(), msg);
                assertEquals("failed", run.status("s/c" + i + ".fn"), msg);
                // its later step never ran
                assertTrue(run.report().path("tasks").path("s/c" + i + ".after").isMissingNode(), msg);
            } else if (best < 0 || f(c) > f(expected.get(best))) {
                best = i;
            }
        }
        assertEquals(failures, run.metrics("s").path("failed").asLong(), msg);
        assertEquals(best, json(run, "best").path("best").path("index").asInt(), msg);
    }

    @Test
    void aSubtaskRetriedByTheSearchTasksPolicyCountsAsSucceeded() throws Exception {
        long seed = TestSeeds.next();
        Map<String, Object> tasks = new LinkedHashMap<>(template(Map.of()));
        Map<String, Object> steps = new LinkedHashMap<>((Map<String, Object>) tasks.get("tasks"));
        steps.put("flaky", Map.of("type", "util.flaky", "with", Map.of("failures", 1), "inputs", Map.of("x", "after.out")));
        NodeRuns.Run run = runs.run(search(seed, Map.of("tasks", steps), Map.of("metric", "fn.f"), Map.of("candidates", 3, "parallel", 3))
                .retry(2).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        for (int i = 0; i < 3; i++) assertEquals(2, run.attempts("s/c" + i + ".flaky"), msg);
        assertEquals(0, run.metrics("s").path("failed").asInt(), msg);
    }

    @Test
    void patienceStopsAfterThatManyCandidatesWithoutImprovement() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(search(seed, template(Map.of()), Map.of("metric", "fn.f"),
                Map.of("candidates", 40, "patience", 3)).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        // the reference: one candidate a batch, stop once 3 in a row did not beat the best so far
        List<Candidate> expected = proposals(seed, 40);
        int ran = 0, since = 0;
        double best = Double.NEGATIVE_INFINITY;
        while (ran < 40 && since < 3) {
            double v = f(expected.get(ran++));
            if (v > best) { best = v; since = 0; } else since++;
        }
        assertEquals(ran, run.metrics("s").path("candidates").asInt(), msg);
        assertEquals(ran < 40 ? "patience" : "candidates", run.metrics("s").path("stopped").asText(), msg);
        assertEquals(best, run.metrics("s").path("best-score").asDouble(), msg);
    }

    @Test
    void theCandidateBudgetCutsTheLastBatchShort() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(search(seed, template(Map.of()), Map.of("metric", "fn.f"), Map.of("candidates", 5, "parallel", 2)).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        assertEquals(5, json(run, "trace").path("candidates").size(), msg);
        assertTrue(run.report().path("tasks").path("s/c5.fn").isMissingNode(), msg);
    }

    @Test
    void aWallTimeStopsAfterTheBatchThatPassedIt() throws Exception {
        long seed = TestSeeds.next();
        Map<String, Object> steps = new LinkedHashMap<>((Map<String, Object>) template(Map.of()).get("tasks"));
        steps.put("wait", Map.of("type", "util.sleep", "with", Map.of("ms", 30)));
        NodeRuns.Run run = runs.run(search(seed, Map.of("tasks", steps), Map.of("metric", "fn.f"),
                Map.of("candidates", 100, "parallel", 2, "wall-time", "10ms")).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        assertEquals(2, run.metrics("s").path("candidates").asInt(), msg);
        assertEquals("wall-time", run.metrics("s").path("stopped").asText(), msg);
    }

    @Test
    void severalObjectivesGiveTheParetoFrontOfBruteForce() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(search(seed, template(Map.of()),
                List.of(Map.of("metric", "fn.f", "goal", "maximize"), Map.of("metric", "fn.g", "goal", "minimize")),
                Map.of("candidates", 16, "parallel", 4)).build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        List<Candidate> cs = proposals(seed, 16);
        List<Integer> front = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            double fi = f(cs.get(i)), gi = FunctionNode.g((Double) cs.get(i).params().get("x"), (Long) cs.get(i).params().get("k"));
            boolean dominated = false;
            for (int j = 0; j < 16; j++) {
                double fj = f(cs.get(j)), gj = FunctionNode.g((Double) cs.get(j).params().get("x"), (Long) cs.get(j).params().get("k"));
                if (fj >= fi && gj <= gi && (fj > fi || gj < gi)) dominated = true;
            }
            if (!dominated) front.add(i);
        }
        JsonNode pareto = json(run, "best").path("pareto");
        List<Integer> got = new ArrayList<>();
        pareto.forEach(p -> got.add(p.path("index").asInt()));
        assertEquals(front, got, msg);
        assertEquals(front.size(), run.metrics("s").path("pareto-size").asInt(), msg);
        for (JsonNode p : pareto) {
            Candidate c = cs.get(p.path("index").asInt());
            assertEquals(FunctionNode.g((Double) c.params().get("x"), (Long) c.params().get("k")), p.path("metrics").path("fn.g").asDouble(), msg);
        }
    }

    @Test
    void searchInputsReachTheTemplateByReference() throws Exception {
        long seed = TestSeeds.next();
        Map<String, Object> steps = new LinkedHashMap<>((Map<String, Object>) template(Map.of()).get("tasks"));
        steps.put("pass", Map.of("type", "util.noop", "inputs", Map.of("x", "inputs.x")));
        NodeRuns.Run run = runs.run(Workflows.named("search-in", seed)
                .task("r", "util.random").with("shape", List.of(3))
                .task("s", "agent.search").with("space", SPACE).with("template", Map.of("tasks", steps))
                .with("objective", Map.of("metric", "fn.f")).with("budget", Map.of("candidates", 2)).inputs("x", "r.tensor").build());
        String msg = "seed=" + seed + ": " + run.report();
        assertTrue(run.outcome().ok(), msg);
        assertEquals(run.hash("r", "tensor"), run.hash("s/c1.pass", "out"), msg);
    }

    private static String problems(Workflows.Task task) {
        List<Problem> problems = runs.engine().validate(task.build());
        return problems.stream().map(p -> p.message()).collect(Collectors.joining("; "));
    }

    @Test
    void templateMistakesAreFoundBeforeTheRunNamingTheTemplateTask() {
        Map<String, Object> objective = Map.of("metric", "fn.f");
        Map<String, Object> budget = Map.of("candidates", 3);
        Map<String, Object> badRef = Map.of("tasks", Map.of("fn", Map.of("type", "test.function", "with", Map.of("x", "${candidate.y}", "k", 1))));
        assertTrue(problems(search(1, badRef, objective, budget)).contains("template task 'fn': ${candidate.y} names no param of the space"),
                problems(search(1, badRef, objective, budget)));
        Map<String, Object> badInput = Map.of("tasks", Map.of("fn", Map.of("type", "test.function", "with", Map.of("x", 0.1, "k", 1),
                "inputs", Map.of("x", "nope.out"))));
        assertTrue(problems(search(1, badInput, objective, budget)).contains("template task 'fn' input 'x': 'nope.out' names no template task"),
                problems(search(1, badInput, objective, budget)));
        Map<String, Object> cycleTasks = new LinkedHashMap<>();
        cycleTasks.put("fn", Map.of("type", "util.noop", "inputs", Map.of("x", "b.out")));
        cycleTasks.put("b", Map.of("type", "util.noop", "inputs", Map.of("x", "fn.out")));
        Map<String, Object> cycle = Map.of("tasks", cycleTasks);
        assertTrue(problems(search(1, cycle, objective, budget)).contains("template tasks form a cycle: fn -> b -> fn"),
                problems(search(1, cycle, objective, budget)));
        Map<String, Object> unknownInput = Map.of("tasks", Map.of("fn", Map.of("type", "util.noop", "inputs", Map.of("x", "inputs.modles"))));
        assertTrue(problems(search(1, unknownInput, objective, budget)).contains("'inputs.modles' names no input of the search task"),
                problems(search(1, unknownInput, objective, budget)));
        assertTrue(problems(search(1, template(Map.of()), Map.of("metric", "nope.f"), budget)).contains("objective 'nope.f' names no template task"));
        assertTrue(problems(search(1, template(Map.of()), objective, Map.of("parallel", 2))).contains("budget: candidates must be a whole number"));
        assertTrue(problems(search(1, template(Map.of()), objective, budget).with("policy", "randomm")).contains("unknown policy 'randomm'"));
        assertTrue(problems(search(1, template(Map.of()), objective, Map.of("candidates", 3, "wall-time", "soon")))
                .contains("wall-time must be a duration"));
        Map<String, Object> retry = Map.of("tasks", Map.of("fn", Map.of("type", "util.noop", "retry", 3)));
        assertTrue(problems(search(1, retry, objective, budget)).contains("template task 'fn': unknown key 'retry'"));
    }

    @Test
    void templateTasksOfBuiltinTypesAreCheckedAgainstThemBeforeTheRun() {
        Map<String, Object> objective = Map.of("metric", "fn.f");
        Map<String, Object> budget = Map.of("candidates", 3);
        Map<String, Object> typo = Map.of("tasks", Map.of("fn", Map.of("type", "util.nop")));
        assertTrue(problems(search(1, typo, objective, budget)).contains("template task 'fn': unknown node type 'util.nop' (did you mean 'util.noop'?)"),
                problems(search(1, typo, objective, budget)));
        // x is a real: a shape of it can never bind, whatever the candidate
        Map<String, Object> wrongType = Map.of("tasks", Map.of("fn", Map.of("type", "util.random", "with", Map.of("shape", List.of("${candidate.x}")))));
        assertTrue(problems(search(1, wrongType, objective, budget)).contains("template task 'fn': param 'shape' of util.random expects a list of integers"),
                problems(search(1, wrongType, objective, budget)));
        Map<String, Object> okType = Map.of("tasks", Map.of("fn", Map.of("type", "util.random", "with", Map.of("shape", List.of("${candidate.k}", 2)))));
        assertEquals("", problems(search(1, okType, objective, budget)));
        Map<String, Object> noSuchInput = Map.of("tasks", Map.of("fn", Map.of("type", "util.noop", "inputs", Map.of("y", "inputs.x"))));
        assertTrue(problems(search(1, noSuchInput, objective, budget)).contains("template task 'fn': util.noop has no input 'y' (it has x)"),
                problems(search(1, noSuchInput, objective, budget)));
        Map<String, Object> missingInput = Map.of("tasks", Map.of("fn", Map.of("type", "util.sum")));
        assertTrue(problems(search(1, missingInput, objective, budget)).contains("template task 'fn': util.sum needs input 'values'"),
                problems(search(1, missingInput, objective, budget)));
        Map<String, Object> noSuchOutput = Map.of("tasks", Map.of("fn", Map.of("type", "util.noop"),
                "next", Map.of("type", "util.noop", "inputs", Map.of("x", "fn.tensor"))));
        assertTrue(problems(search(1, noSuchOutput, objective, budget)).contains("template task 'next' input 'x': util.noop has no output 'tensor' (it has out)"),
                problems(search(1, noSuchOutput, objective, budget)));
    }

    @Test
    void aTemplateTheEngineRefusesFailsTheSearchNamingTheTemplateTask() throws Exception {
        Map<String, Object> unknownType = Map.of("tasks", Map.of("fn", Map.of("type", "test.nope", "with", Map.of())));
        NodeRuns.Run run = runs.run(search(2, unknownType, Map.of("metric", "fn.f"), Map.of("candidates", 3)).build());
        assertFalse(run.outcome().ok());
        String message = run.events("TaskFailed", "s").get(0).path("message").asText();
        assertTrue(message.contains("template task 'fn' (subtask s/c0.fn) was refused: unknown node type 'test.nope'"), message);

        Map<String, Object> unbound = Map.of("tasks", Map.of("fn", Map.of("type", "util.noop", "inputs", Map.of("x", "inputs.models"))));
        run = runs.run(search(2, unbound, Map.of("metric", "fn.f"), Map.of("candidates", 3)).build());
        message = run.events("TaskFailed", "s").get(0).path("message").asText();
        assertTrue(message.contains("template task 'fn' reads inputs.models, but search task 's' binds no input 'models'"), message);

        run = runs.run(search(2, template(Map.of()), Map.of("metric", "fn.h"), Map.of("candidates", 3)).build());
        message = run.events("TaskFailed", "s").get(0).path("message").asText();
        assertTrue(message.contains("objective 'fn.h': template task 'fn' reported no number at h"), message);
    }
}
