package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Spherical linear interpolation between the base θ₀ and one model θ₁ (mergekit {@code slerp}), per
 * tensor as flat vectors: with Ω the angle between them, θ = sin((1−t)Ω)/sin Ω·θ₀ + sin(tΩ)/sin Ω·θ₁,
 * and linear interpolation when they are nearly colinear (|cos Ω| > 0.9995). {@code t} is required
 * (0 gives the base); give it a gradient to vary it over layers.
 */
public final class SlerpMerge implements MergeMethod {
    @Override public String name() { return "slerp"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return Set.of("t"); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        if (slot.models().size() != 1) {
            throw new IllegalArgumentException("merge.slerp interpolates the base and exactly one model, got " + slot.models().size() + " models");
        }
        double t = slot.params().global("t", Double.NaN);
        if (Double.isNaN(t)) throw new IllegalArgumentException(slot.name() + ": merge.slerp needs parameter t (0 = base, 1 = the model)");
        Tensor out = Tensor.zerosLike(slot.base());
        ops.slerp(slot.base(), slot.models().get(0), (float) t, out);
        return out;
    }
}
