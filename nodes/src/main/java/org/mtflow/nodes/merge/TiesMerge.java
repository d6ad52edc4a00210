package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * TIES-Merging (Yadav et al. 2023): trim each τᵢ = θᵢ − θ₀ to its k = ⌊density·n⌋ largest magnitudes
 * (per tensor), weight xᵢ = wᵢ·τ̃ᵢ, elect a sign per element ({@code consensus: sum}, the default:
 * sign(Σᵢ xᵢ); {@code count}: the majority of signs; 0 counts as +), keep the xᵢ that agree and take
 * their disjoint mean Σ[agree]·xᵢ / Σ[agree]·wᵢ ({@code normalize}, default true; off: their sum);
 * θ = θ₀ + λ·mean. Defaults: density 1, weight 1, λ 1, rescale false. See {@link TaskVectorMerge}.
 */
public final class TiesMerge implements MergeMethod {
    private static final TaskVectorMerge PIPELINE = new TaskVectorMerge(Sparsification.MAGNITUDE, true, true, false);

    @Override public String name() { return "ties"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return PIPELINE.parameters(); }
    @Override public boolean elementwiseGivenThresholds(TensorParams params) { return !params.flag("rescale", false); }

    @Override public long[] thresholdRanks(TensorParams params, int model, long elements) { return PIPELINE.thresholdRanks(params, model, elements); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return PIPELINE.merge(ops, slot, seed);
    }
}
