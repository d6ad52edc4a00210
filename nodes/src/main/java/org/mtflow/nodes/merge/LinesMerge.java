package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * LiNeS (Wang et al. 2025, layer-increasing network scaling): the merged update τ = Σᵢ wᵢ·τᵢ (task
 * arithmetic; divided by Σᵢ wᵢ when {@code normalize}) is scaled linearly with depth,
 * θ = θ₀ + (alpha + beta·depth)·τ, where depth = ℓ/(L − 1) for layer ℓ of L (0 for tensors before the
 * layers, 1 for heads: see {@link TensorParams#depth()}). Shallow layers keep the base's general
 * features, deep ones take the task updates. Defaults: alpha 0, beta 1, weight 1, normalize false.
 */
public final class LinesMerge implements MergeMethod {
    private static final TaskVectorMerge SUM = new TaskVectorMerge(Sparsification.NONE, false, false, false);

    @Override public String name() { return "lines"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return Set.of("weight", "normalize", "alpha", "beta"); }
    /** Elementwise: element i of the result depends only on element i of the inputs. */
    @Override public boolean piecewise(TensorParams params) { return true; }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        TensorParams p = slot.params();
        Tensor update = SUM.update(ops, slot, seed);
        double scale = p.global("alpha", 0.0) + p.global("beta", 1.0) * p.depth();
        Tensor out = Tensor.zerosLike(slot.base());
        ops.copy(slot.base(), out);
        ops.axpy((float) scale, update, out);
        return out;
    }
}
