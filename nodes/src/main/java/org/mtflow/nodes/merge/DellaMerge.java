package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * DELLA-Merging (Deep et al. 2024; mergekit della): MagPrune keeps each entry of τᵢ with probability
 * pⱼ = density − ε + 2ε·(rankⱼ − 1)/(n − 1), ranks by |τ| within each row (largest magnitudes most
 * likely kept), and divides kept entries by pⱼ ({@code rescale}, default true); then TIES sign
 * consensus and the weighted disjoint mean ({@code normalize} default true); θ = θ₀ + λ·mean.
 * Default epsilon 0.15.
 */
public final class DellaMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.DELLA, true, true, true);

    @Override public String name() { return "della"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters("epsilon"); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
