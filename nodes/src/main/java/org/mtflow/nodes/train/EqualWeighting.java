package org.mtflow.nodes.train;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/** The plain sum of the task losses: every weight 1. */
public final class EqualWeighting implements TaskWeighting {
    private final double[] w;

    EqualWeighting(int tasks) {
        w = new double[tasks];
        Arrays.fill(w, 1);
    }

    @Override
    public void combine(TensorOps ops, double[] losses, List<Map<String, Tensor>> grads, List<String> shared, float lr, long step,
                        Map<String, Tensor> out) {
        TaskWeighting.weightedSum(ops, w, grads, out);
    }

    @Override public double[] weights() { return w.clone(); }
}
