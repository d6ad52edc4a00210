package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * DARE without sign consensus (mergekit dare_linear): τ̃ᵢ = τᵢ ⊙ Bernoulli(density) / density
 * ({@code rescale} default true; Philox draws keyed by seed, tensor name and model index);
 * θ = θ₀ + λ·Σᵢ wᵢ·τ̃ᵢ, divided by Σᵢ wᵢ when {@code normalize} (default false).
 */
public final class DareLinearMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.RANDOM, false, false, true);

    @Override public String name() { return "dare-linear"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters(); }
    /** Drops keyed by element index are elementwise; rescale_norm l1's Σ|τ| / Σ|kept| is not. */
    @Override public boolean elementwiseGivenThresholds(TensorParams params) { return !params.option("rescale_norm", "inverse").equals("l1"); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
