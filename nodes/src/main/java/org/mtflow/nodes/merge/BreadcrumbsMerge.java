package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Model Breadcrumbs (Davari &amp; Belilovsky 2023): per tensor, each τᵢ drops its ⌊gamma·n⌋ largest
 * magnitudes (outliers, default gamma 0.01) and keeps the next ⌊density·n⌋, dropping the smallest;
 * θ = θ₀ + λ·Σᵢ wᵢ·τ̃ᵢ ({@code normalize} default false). See {@link Sparsification#MAGNITUDE_OUTLIERS}.
 */
public final class BreadcrumbsMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.MAGNITUDE_OUTLIERS, false, false, false);

    @Override public String name() { return "breadcrumbs"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters("gamma"); }

    @Override public boolean elementwiseGivenThresholds(TensorParams params) { return !params.flag("rescale", false); }
    @Override public long[] thresholdRanks(TensorParams params, int model, long elements) { return PIPELINE.thresholdRanks(params, model, elements); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
