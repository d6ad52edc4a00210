package org.mtflow.nodes.merge;

/**
 * DARE without sign consensus (mergekit dare_linear): τ̃ᵢ = τᵢ ⊙ Bernoulli(density) / density
 * ({@code rescale} default true; Philox draws keyed by seed, tensor name and model index);
 * θ = θ₀ + λ·Σᵢ wᵢ·τ̃ᵢ, divided by Σᵢ wᵢ when {@code normalize} (default false).
 */
public final class DareLinearMerge extends TaskVectorMethod {
    public DareLinearMerge() {
        super(new TaskVectorMerge(Sparsification.RANDOM, false, false, true));
    }

    @Override public String name() { return "dare-linear"; }
}
