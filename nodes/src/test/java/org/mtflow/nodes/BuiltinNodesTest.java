package org.mtflow.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.WorkflowSpec;

class BuiltinNodesTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @Test
    void theCatalogHoldsEveryBuiltinNodeTypeByName() {
        NodeCatalog catalog = BuiltinNodes.catalog();
        List<String> expected = List.of("util.noop", "util.random", "util.sum", "util.sleep", "util.map", "util.flaky",
                "util.matmul", "data.fashion-mnist", "data.csv", "data.synthetic", "data.synthetic-checkpoint",
                "data.standardize", "data.split",
                "data.subsample", "data.tasks", "data.task", "eval.dataset-stats", "eval.metrics", "eval.normalized", "eval.table",
                "train.fit", "train.finetune", "train.multitask", "model.predict", "model.hf", "merge.fisher", "merge.regmean", "merge.adamerging", "agent.search",
                "agent.llm", "merge.shard", "merge.average", "merge.task-arithmetic", "merge.ties", "merge.dare-linear", "merge.dare-ties", "merge.breadcrumbs",
                "merge.breadcrumbs-ties", "merge.della", "merge.della-linear", "merge.model-stock", "merge.slerp", "merge.lines",
                "merge.consensus");
        assertEquals(expected, List.copyOf(catalog.names()));
        for (String name : expected) {
            NodeType<?> t = catalog.find(name).orElseThrow();
            assertEquals(name, t.name());
            assertFalse(t.description().isBlank(), name);
            assertFalse(t.outputs().isEmpty(), name + " has no outputs");
            assertTrue(t.paramsType().isRecord(), name);
            ParamsBinder.describe(t.paramsType()); // every params record is describable
        }
    }

    @Test
    void portsAreWhatWorkflowsBindTo() {
        Map<String, NodeType<?>> byName = BuiltinNodes.all().stream()
                .collect(Collectors.toMap(NodeType::name, t -> t));
        assertEquals(List.of("out"), names(byName.get("util.noop").outputs()));
        assertEquals(List.of("out"), names(byName.get("util.sleep").outputs()));
        assertEquals(List.of("out"), names(byName.get("util.flaky").outputs()));
        assertEquals(List.of("tensor"), names(byName.get("util.random").outputs()));
        assertEquals(List.of("tensor"), names(byName.get("util.sum").outputs()));
        assertEquals(List.of("tensor"), names(byName.get("util.matmul").outputs()));
        assertEquals(List.of("dataset"), names(byName.get("data.fashion-mnist").outputs()));
        assertEquals(List.of("stats"), names(byName.get("eval.dataset-stats").outputs()));
        Port values = byName.get("util.sum").inputs().get(0);
        assertTrue(values.name().equals("values") && values.many() && values.required(), values.toString());
        Port x = byName.get("util.noop").inputs().get(0);
        assertTrue(x.name().equals("x") && x.many() && !x.required(), x.toString());
        assertEquals(List.of("a", "b"), names(byName.get("util.matmul").inputs()));
    }

    private static List<String> names(List<Port> ports) {
        return ports.stream().map(Port::name).toList();
    }

    /** The problems the engine finds in a one-task workflow, as text. */
    private static String problems(String type, Map<String, Object> with) {
        Workflows.Task t = Workflows.named("params", 1).task("t", type);
        with.forEach(t::with);
        WorkflowSpec spec = t.build();
        List<Problem> problems = runs.engine().validate(spec);
        return problems.stream().map(p -> p.pathText() + ": " + p.text()).collect(Collectors.joining("\n"));
    }

    @Test
    void badParamsAreRejectedBeforeAnythingRuns() {
        assertTrue(problems("util.random", Map.of("shape", List.of())).contains("shape must list at least one dimension"));
        assertTrue(problems("util.random", Map.of("shape", List.of(2, -1))).contains("shape dimensions must be >= 0"));
        assertTrue(problems("util.random", Map.of("shape", List.of(2), "low", 1.0, "high", 1.0)).contains("low must be below high"));
        assertTrue(problems("util.random", Map.of("shape", List.of(65536, 65536))).contains("more than 2^31"));
        assertTrue(problems("util.random", Map.of()).contains("needs param 'shape'"));
        String typo = problems("util.random", Map.of("shape", List.of(2), "hihg", 2.0));
        assertTrue(typo.contains("unknown param 'hihg'") && typo.contains("high"), typo);
        assertTrue(problems("util.sleep", Map.of("ms", -5)).contains("ms must be >= 0"));
        assertTrue(problems("util.sleep", Map.of()).contains("needs param 'ms'"));
        assertTrue(problems("util.flaky", Map.of("failures", -1)).contains("failures must be >= 0"));
        assertTrue(problems("data.fashion-mnist", Map.of("limit", 0)).contains("limit must be at least 1"));
        assertTrue(problems("util.noop", Map.of("x", 1)).contains("unknown param 'x'"));
    }

    @Test
    void goodParamsPassValidation() {
        assertEquals("", problems("util.random", Map.of("shape", List.of(2, 3), "low", 0, "high", 5.5, "seed", 9)));
        assertEquals("", problems("util.sleep", Map.of("ms", 0)));
        assertEquals("", problems("util.flaky", Map.of("failures", 3)));
        assertEquals("", problems("data.fashion-mnist", Map.of("dir", "/tmp", "limit", 10)));
    }
}
