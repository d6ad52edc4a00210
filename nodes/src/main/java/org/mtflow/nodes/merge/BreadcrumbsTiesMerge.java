package org.mtflow.nodes.merge;

/**
 * Model Breadcrumbs thinning (drop the top-gamma outliers and the smallest, keep ⌊density·n⌋) followed
 * by TIES sign consensus (mergekit breadcrumbs_ties): θ = θ₀ + λ·Σ[agree]·wᵢ·τ̃ᵢ ({@code normalize}
 * default false). See {@link TaskVectorMerge}.
 */
public final class BreadcrumbsTiesMerge extends TaskVectorMethod {
    public BreadcrumbsTiesMerge() {
        super(new TaskVectorMerge(Sparsification.MAGNITUDE_OUTLIERS, true, false, false), "gamma");
    }

    @Override public String name() { return "breadcrumbs-ties"; }
}
