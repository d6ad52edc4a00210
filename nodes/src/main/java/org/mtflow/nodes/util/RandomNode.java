package org.mtflow.nodes.util;

import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.TensorArtifacts;

/** A tensor of uniform random floats, drawn from Philox keyed by the seed and the task id. */
public final class RandomNode implements NodeType<RandomNode.Params> {

    public record Params(
            @Required @Doc("the tensor's shape, e.g. [64, 64]") List<Integer> shape,
            @Doc("overrides the run seed for this task") Long seed,
            @Doc("lower bound (inclusive), default -1") Double low,
            @Doc("upper bound (exclusive), default 1") Double high) {
        public Params {
            if (shape == null || shape.isEmpty()) throw new IllegalArgumentException("shape must list at least one dimension");
            long n = 1;
            for (Integer d : shape) {
                if (d == null || d < 0) throw new IllegalArgumentException("shape dimensions must be >= 0, got " + shape);
                n *= d;
                if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("shape " + shape + " holds more than 2^31 elements");
            }
            if (low == null) low = -1.0;
            if (high == null) high = 1.0;
            if (!(low < high)) throw new IllegalArgumentException("low must be below high, got " + low + " and " + high);
        }
    }

    @Override public String name() { return "util.random"; }
    @Override public String description() { return "A tensor of uniform random floats, reproducible from the seed and task id."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }
    @Override public List<Port> outputs() { return List.of(Port.one("tensor", "the random tensor").of(Port.Kind.TENSOR)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        Tensor t = Tensor.zeros(p.shape().stream().mapToInt(Integer::intValue).toArray());
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        Philox.fillUniform(t.data(), seed, ctx.stream("random"), 0, p.low().floatValue(), p.high().floatValue());
        TensorArtifacts.write(ctx, "tensor", t);
    }
}
