package org.mtflow.nodes.util;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.nodes.TensorArtifacts;

/** The elementwise sum of a list of same-shaped tensors, added in list order on the task's device. */
public final class SumNode implements NodeType<NoParams> {
    @Override public String name() { return "util.sum"; }
    @Override public String description() { return "Elementwise sum of a list of tensors of one shape."; }
    @Override public Class<NoParams> paramsType() { return NoParams.class; }
    @Override public List<Port> inputs() { return List.of(Port.many("values", "the tensors to add, all of one shape").of(Port.Kind.TENSOR)); }
    @Override public List<Port> outputs() { return List.of(Port.one("tensor", "their sum").of(Port.Kind.TENSOR)); }

    @Override
    public void run(TaskContext<NoParams> ctx) throws Exception {
        List<Path> files = ctx.inputs("values");
        if (files.isEmpty()) throw NodeException.permanent("util.sum needs at least one value");
        TensorOps ops = ctx.ops();
        Tensor acc = TensorArtifacts.read(files.get(0));
        for (int i = 1; i < files.size(); i++) {
            ctx.checkCancelled();
            Tensor next = TensorArtifacts.read(files.get(i));
            if (!next.sameShape(acc)) {
                throw NodeException.permanent("values[" + i + "] has shape " + Arrays.toString(next.shape())
                        + " but values[0] has " + Arrays.toString(acc.shape()));
            }
            ops.add(acc, next, acc);
        }
        TensorArtifacts.write(ctx, "tensor", acc);
    }
}
