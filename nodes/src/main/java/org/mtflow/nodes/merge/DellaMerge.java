package org.mtflow.nodes.merge;

/**
 * DELLA-Merging (Deep et al. 2024; mergekit della): MagPrune keeps each entry of τᵢ with probability
 * pⱼ = density − ε + 2ε·(rankⱼ − 1)/(n − 1), ranks by |τ| within each row (largest magnitudes most
 * likely kept), and divides kept entries by pⱼ ({@code rescale}, default true); then TIES sign
 * consensus and the weighted disjoint mean ({@code normalize} default true); θ = θ₀ + λ·mean.
 * Default epsilon 0.15.
 */
public final class DellaMerge extends TaskVectorMethod {
    public DellaMerge() {
        super(new TaskVectorMerge(Sparsification.DELLA, true, true, true), "epsilon");
    }

    @Override public String name() { return "della"; }
}
