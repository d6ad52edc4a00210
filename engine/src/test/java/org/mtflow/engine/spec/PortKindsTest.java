package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Port.Kind;
import org.mtflow.engine.node.TaskContext;

/** An output feeds an input only when what they hold agrees: a mismatch is an error before anything runs. */
class PortKindsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    /** Gives one output of its kind; takes (optionally) one input and a list, both of kind {@code takes}. */
    private record Typed(String name, Kind gives, Kind takes) implements NodeType<NoParams> {
        @Override public String description() { return "gives a " + gives.token(); }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() {
            return List.of(Port.optional("x", "one").of(takes), Port.optionalMany("xs", "some").of(takes));
        }
        @Override public List<Port> outputs() { return List.of(Port.one("out", "it").of(gives)); }
        @Override public void run(TaskContext<NoParams> ctx) {}
    }

    private static final Kind[] KINDS = Kind.values();
    private static final NodeCatalog CATALOG;

    static {
        List<NodeType<?>> types = new ArrayList<>();
        for (Kind gives : KINDS) for (Kind takes : KINDS) types.add(new Typed(name(gives, takes), gives, takes));
        CATALOG = new NodeCatalog(types);
    }

    private static String name(Kind gives, Kind takes) {
        return "k." + gives.token() + "-to-" + takes.token();
    }

    @Test
    void everyPairOfKindsIsCheckedOnSingleAndListInputs() {
        SplittableRandom rng = new SplittableRandom(SEED);
        for (Kind out : KINDS) {
            for (Kind in : KINDS) {
                boolean list = rng.nextBoolean();
                Kind other = KINDS[rng.nextInt(KINDS.length)]; // the consumer's own output: irrelevant here
                var consumer = task("b", name(other, in));
                consumer = list ? consumer.inputs("xs", "a.out", "a.out") : consumer.input("x", "a.out");
                WorkflowSpec spec = workflow("w", 1, task("a", name(out, Kind.ANY)).build(), consumer.build());
                List<Problem> problems = GraphValidator.validate(spec, CATALOG, null);
                boolean fits = out == Kind.ANY || in == Kind.ANY || out == in;
                String where = "seed " + SEED + ": " + out + " -> " + in + (list ? " (list)" : "");
                assertEquals(fits ? 0 : list ? 2 : 1, problems.size(), where + ": " + problems);
                if (fits) continue;
                Problem p = problems.get(0);
                assertEquals(list ? "tasks.b.inputs.xs[0]" : "tasks.b.inputs.x", p.pathText(), where);
                assertEquals("input '" + (list ? "xs" : "x") + "' of " + name(other, in) + " takes a " + in.token()
                        + ", but a.out is a " + out.token() + " (" + name(out, Kind.ANY) + ")", p.message(), where);
            }
        }
    }

    @Test
    void theMessageSuggestsAnOutputThatFits() {
        // A node type with two outputs of different kinds, wired by the wrong one.
        NodeType<NoParams> two = new NodeType<>() {
            @Override public String name() { return "k.two"; }
            @Override public String description() { return "a tensor and a report"; }
            @Override public Class<NoParams> paramsType() { return NoParams.class; }
            @Override public List<Port> inputs() { return List.of(); }
            @Override public List<Port> outputs() {
                return List.of(Port.one("weights", "w").of(Kind.TENSOR), Port.one("report", "r").of(Kind.JSON));
            }
            @Override public void run(TaskContext<NoParams> ctx) {}
        };
        NodeCatalog catalog = new NodeCatalog(List.of(two, new Typed("k.eat", Kind.ANY, Kind.TENSOR)));
        List<Problem> problems = GraphValidator.validate(workflow("w", 1, task("a", "k.two").build(),
                task("b", "k.eat").input("x", "a.report").build()), catalog, null);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals("use a.weights", problems.get(0).suggestion());
        assertTrue(problems.get(0).message().contains("takes a tensor, but a.report is a json"), problems.get(0).message());
    }
}
