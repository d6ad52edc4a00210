package org.mtflow.nodes.merge;

/**
 * DELLA without sign consensus (mergekit della_linear): MagPrune-thinned τ̃ᵢ (see {@link DellaMerge}),
 * θ = θ₀ + λ·Σᵢ wᵢ·τ̃ᵢ, divided by Σᵢ wᵢ when {@code normalize} (default false).
 */
public final class DellaLinearMerge extends TaskVectorMethod {
    public DellaLinearMerge() {
        super(new TaskVectorMerge(Sparsification.DELLA, false, false, true), "epsilon");
    }

    @Override public String name() { return "della-linear"; }
}
