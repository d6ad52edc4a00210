package org.mtflow.nodes.train;

import java.util.List;
import java.util.SplittableRandom;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.nodes.data.Dataset;

/**
 * Test-only: a learnable binary task on 6 uniform features in [−1, 1]: rule 0 labels x0 + x1 > 0,
 * rule 1 labels x2 − x3 > 0. Two rules on the same inputs make two tasks for one trunk.
 */
final class RuleDatasetNode implements NodeType<RuleDatasetNode.Params> {
    static final int FEATURES = 6;

    record Params(@Required @Doc("0 or 1") Integer rule, @Required @Doc("draws") Long seed,
                  @Required @Doc("training examples") Integer train, @Required @Doc("test examples") Integer test) {}

    @Override public String name() { return "test.rule-dataset"; }
    @Override public String description() { return "A synthetic binary task."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }
    @Override public List<Port> outputs() { return List.of(Port.one("dataset", "the task").of(Port.Kind.DATASET)); }

    static Dataset.Split split(SplittableRandom rnd, int n, int rule) {
        float[] x = new float[n * FEATURES], y = new float[n];
        for (int i = 0; i < n; i++) {
            for (int f = 0; f < FEATURES; f++) x[i * FEATURES + f] = (float) rnd.nextDouble(-1, 1);
            float[] r = java.util.Arrays.copyOfRange(x, i * FEATURES, (i + 1) * FEATURES);
            y[i] = (rule == 0 ? r[0] + r[1] : r[2] - r[3]) > 0 ? 1 : 0;
        }
        return new Dataset.Split(Tensor.of(x, n, FEATURES), Tensor.of(y, n));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        SplittableRandom rnd = new SplittableRandom(p.seed());
        Dataset d = new Dataset("rule" + p.rule(), List.of("no", "yes"), split(rnd, p.train(), p.rule()), split(rnd, p.test(), p.rule()));
        ctx.output("dataset", d::write);
    }
}
