package org.mtflow.nodes.util;

import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;

/**
 * Fails on purpose, to test recovery: a transient error on its first {@code failures} attempts, or
 * (with {@code exit: true}) halts the whole JVM on its first attempt, like a crash or {@code kill -9}.
 */
public final class FlakyNode implements NodeType<FlakyNode.Params> {

    public record Params(
            @Doc("attempts that fail with a transient error before one succeeds, default 0") Integer failures,
            @Doc("halt the JVM (exit code 137) on the first attempt, default false") Boolean exit) {
        public Params {
            if (failures == null) failures = 0;
            if (exit == null) exit = false;
            if (failures < 0) throw new IllegalArgumentException("failures must be >= 0");
        }
    }

    @Override public String name() { return "util.flaky"; }
    @Override public String description() { return "Fails its first N attempts (or halts the JVM once), then passes its first input through."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "any artifacts; the first is passed through")); }
    @Override public List<Port> outputs() { return List.of(NoopNode.OUT); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        if (ctx.params().exit() && ctx.attempt() == 1) {
            // No shutdown hooks, no flushing: the nearest thing to a power cut a test can ask for.
            Runtime.getRuntime().halt(137);
        }
        if (ctx.attempt() <= ctx.params().failures()) {
            throw NodeException.transientError("planned failure " + ctx.attempt() + " of " + ctx.params().failures());
        }
        NoopNode.passThrough(ctx);
    }
}
