package org.mtflow.nodes.merge;

/**
 * TIES-Merging (Yadav et al. 2023): trim each τᵢ = θᵢ − θ₀ to its k = ⌊density·n⌋ largest magnitudes
 * (per tensor), weight xᵢ = wᵢ·τ̃ᵢ, elect a sign per element ({@code consensus: sum}, the default:
 * sign(Σᵢ xᵢ); {@code count}: the majority of signs; 0 counts as +), keep the xᵢ that agree and take
 * their disjoint mean Σ[agree]·xᵢ / Σ[agree]·wᵢ ({@code normalize}, default true; off: their sum);
 * θ = θ₀ + λ·mean. Defaults: density 1, weight 1, λ 1, rescale false. See {@link TaskVectorMerge}.
 */
public final class TiesMerge extends TaskVectorMethod {
    public TiesMerge() {
        super(new TaskVectorMerge(Sparsification.MAGNITUDE, true, true, false));
    }

    @Override public String name() { return "ties"; }
}
