package org.mtflow.nodes.util;

import java.util.List;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.TensorArtifacts;

/** {@code a · b} on the task's device, reporting the backend and the achieved GFLOP/s. */
public final class MatmulNode implements NodeType<NoParams> {
    @Override public String name() { return "util.matmul"; }
    @Override public String description() { return "Matrix product a·b of two rank-2 tensors on the task's device."; }
    @Override public Class<NoParams> paramsType() { return NoParams.class; }

    @Override
    public List<Port> inputs() {
        return List.of(Port.one("a", "an [m, k] tensor").of(Port.Kind.TENSOR), Port.one("b", "a [k, n] tensor").of(Port.Kind.TENSOR));
    }

    @Override public List<Port> outputs() { return List.of(Port.one("tensor", "the [m, n] product").of(Port.Kind.TENSOR)); }

    @Override
    public void run(TaskContext<NoParams> ctx) throws Exception {
        Tensor a = TensorArtifacts.read(ctx.input("a"));
        Tensor b = TensorArtifacts.read(ctx.input("b"));
        if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(0)) {
            throw NodeException.permanent("cannot multiply " + a + " by " + b + ": need [m, k] and [k, n]");
        }
        Tensor out = Tensor.zeros(a.dim(0), b.dim(1));
        long start = System.nanoTime();
        ctx.ops().matmul(a, b, out);
        double seconds = (System.nanoTime() - start) / 1e9;
        ctx.metric("backend", ctx.ops().name());
        ctx.metric("shape", List.of(a.dim(0), a.dim(1), b.dim(1)));
        ctx.metric("gflops", Math.round(2.0 * a.dim(0) * a.dim(1) * b.dim(1) / seconds / 1e9 * 10) / 10.0);
        TensorArtifacts.write(ctx, "tensor", out);
    }
}
