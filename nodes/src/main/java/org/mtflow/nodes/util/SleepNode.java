package org.mtflow.nodes.util;

import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;

/** Waits, then passes its first input through: for testing timeouts, cancellation and scheduling. */
public final class SleepNode implements NodeType<SleepNode.Params> {

    public record Params(@Required @Doc("how long to wait, in milliseconds") Long ms) {
        public Params {
            if (ms == null || ms < 0) throw new IllegalArgumentException("ms must be >= 0");
        }
    }

    @Override public String name() { return "util.sleep"; }
    @Override public String description() { return "Waits ms milliseconds (cancellable), then passes its first input through."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "any artifacts; the first is passed through")); }
    @Override public List<Port> outputs() { return List.of(NoopNode.OUT); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        long end = System.nanoTime() + ctx.params().ms() * 1_000_000;
        long total = Math.max(1, ctx.params().ms());
        for (long left; (left = end - System.nanoTime()) > 0; ) {
            ctx.checkCancelled();
            Thread.sleep(Math.min(50, Math.max(1, left / 1_000_000))); // the node's own work: waiting
            ctx.progress(1 - (double) (end - System.nanoTime()) / 1e6 / total, "sleeping");
        }
        NoopNode.passThrough(ctx);
    }
}
