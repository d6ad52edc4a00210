package org.mtflow.nodes.merge;

/**
 * Model Breadcrumbs (Davari &amp; Belilovsky 2023): per tensor, each τᵢ drops its ⌊gamma·n⌋ largest
 * magnitudes (outliers, default gamma 0.01) and keeps the next ⌊density·n⌋, dropping the smallest;
 * θ = θ₀ + λ·Σᵢ wᵢ·τ̃ᵢ ({@code normalize} default false). See {@link Sparsification#MAGNITUDE_OUTLIERS}.
 */
public final class BreadcrumbsMerge extends TaskVectorMethod {
    public BreadcrumbsMerge() {
        super(new TaskVectorMerge(Sparsification.MAGNITUDE_OUTLIERS, false, false, false), "gamma");
    }

    @Override public String name() { return "breadcrumbs"; }
}
