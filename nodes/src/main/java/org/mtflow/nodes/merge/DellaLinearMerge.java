package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * DELLA without sign consensus (mergekit della_linear): MagPrune-thinned τ̃ᵢ (see {@link DellaMerge}),
 * θ = θ₀ + λ·Σᵢ wᵢ·τ̃ᵢ, divided by Σᵢ wᵢ when {@code normalize} (default false).
 */
public final class DellaLinearMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.DELLA, false, false, true);

    @Override public String name() { return "della-linear"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters("epsilon"); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
