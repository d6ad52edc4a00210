package org.mtflow.nodes.merge;

/**
 * Task arithmetic (Ilharco et al. 2023): θ = θ₀ + λ·Σᵢ wᵢ·τᵢ with τᵢ = θᵢ − θ₀; with {@code normalize}
 * (default false, as mergekit) the sum is divided by Σᵢ wᵢ. Defaults: weight 1, λ 1.
 */
public final class TaskArithmeticMerge extends TaskVectorMethod {
    public TaskArithmeticMerge() {
        super(new TaskVectorMerge(Sparsification.NONE, false, false, false));
    }

    @Override public String name() { return "task-arithmetic"; }
}
