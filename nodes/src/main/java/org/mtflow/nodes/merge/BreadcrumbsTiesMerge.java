package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Model Breadcrumbs thinning (drop the top-gamma outliers and the smallest, keep ⌊density·n⌋) followed
 * by TIES sign consensus (mergekit breadcrumbs_ties): θ = θ₀ + λ·Σ[agree]·wᵢ·τ̃ᵢ ({@code normalize}
 * default false). See {@link TaskVectorMerge}.
 */
public final class BreadcrumbsTiesMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.MAGNITUDE_OUTLIERS, true, false, false);

    @Override public String name() { return "breadcrumbs-ties"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters("gamma"); }

    @Override public boolean elementwiseGivenThresholds(TensorParams params) { return !params.flag("rescale", false); }
    @Override public long[] thresholdRanks(TensorParams params, int model, long elements) { return PIPELINE.thresholdRanks(params, model, elements); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
