package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * DARE with TIES sign consensus (Yu et al. 2024; mergekit dare_ties): each τᵢ keeps each entry with
 * probability {@code density} (Philox draws keyed by seed, tensor name and model index, so the mask is
 * the same on every device) and, with {@code rescale} (default true), is divided by density; then
 * TIES sign election and the agreeing entries summed ({@code normalize} default false: sum; true: the
 * weighted disjoint mean); θ = θ₀ + λ·update. See {@link TaskVectorMerge}.
 */
public final class DareTiesMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.RANDOM, true, false, true);

    @Override public String name() { return "dare-ties"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters(); }
    /** Drops keyed by element index are elementwise; rescale_norm l1's Σ|τ| / Σ|kept| is not. */
    @Override public boolean elementwiseGivenThresholds(TensorParams params) { return !params.option("rescale_norm", "inverse").equals("l1"); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
