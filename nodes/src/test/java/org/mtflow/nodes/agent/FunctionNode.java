package org.mtflow.nodes.agent;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;

/**
 * Test-only: a known function of its params as metrics, f = −(x − c)² − 0.1·(k − 2)² and g = x·k,
 * so a test can work out what a search must find. Fails (permanently) when x is below {@code fail-below}.
 */
final class FunctionNode implements NodeType<FunctionNode.Params> {
    record Params(@Required @Doc("x") Double x, @Required @Doc("k") Long k, @Doc("the best x, default 0.3") Double c,
                  @Doc("fail when x is below it") Double failBelow) {}

    static double f(double x, long k, double c) { return -(x - c) * (x - c) - 0.1 * (k - 2) * (k - 2); }

    static double g(double x, long k) { return x * k; }

    @Override public String name() { return "test.function"; }
    @Override public String description() { return "Reports f and g of x and k."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "ignored")); }
    @Override public List<Port> outputs() { return List.of(Port.one("out", "x and k as text").of(Port.Kind.JSON)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        if (p.failBelow() != null && p.x() < p.failBelow()) throw NodeException.permanent("x = " + p.x() + " is below " + p.failBelow());
        ctx.metric("f", f(p.x(), p.k(), p.c() == null ? 0.3 : p.c()));
        ctx.metric("g", g(p.x(), p.k()));
        byte[] text = ("{\"x\": " + p.x() + ", \"k\": " + p.k() + "}").getBytes(StandardCharsets.UTF_8);
        ctx.output("out", out -> out.write(text));
    }
}
