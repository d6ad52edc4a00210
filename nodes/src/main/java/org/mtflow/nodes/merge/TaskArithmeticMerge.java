package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Task arithmetic (Ilharco et al. 2023): θ = θ₀ + λ·Σᵢ wᵢ·τᵢ with τᵢ = θᵢ − θ₀; with {@code normalize}
 * (default false, as mergekit) the sum is divided by Σᵢ wᵢ. Defaults: weight 1, λ 1.
 */
public final class TaskArithmeticMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.NONE, false, false, false);

    @Override public String name() { return "task-arithmetic"; }
    @Override public boolean needsBase() { return true; }
    @Override public boolean elementwise() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters(); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
