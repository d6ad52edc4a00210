package org.mtflow.nodes.merge;

/**
 * DARE with TIES sign consensus (Yu et al. 2024; mergekit dare_ties): each τᵢ keeps each entry with
 * probability {@code density} (Philox draws keyed by seed, tensor name and model index, so the mask is
 * the same on every device) and, with {@code rescale} (default true), is divided by density; then
 * TIES sign election and the agreeing entries summed ({@code normalize} default false: sum; true: the
 * weighted disjoint mean); θ = θ₀ + λ·update. See {@link TaskVectorMerge}.
 */
public final class DareTiesMerge extends TaskVectorMethod {
    public DareTiesMerge() {
        super(new TaskVectorMerge(Sparsification.RANDOM, true, false, true));
    }

    @Override public String name() { return "dare-ties"; }
}
