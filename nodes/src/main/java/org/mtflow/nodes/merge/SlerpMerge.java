package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.nodes.merge.TensorSums.Term;

/**
 * Spherical linear interpolation between the base θ₀ and one model θ₁ (mergekit {@code slerp}), per
 * tensor as flat vectors: with Ω the angle between them, θ = sin((1−t)Ω)/sin Ω·θ₀ + sin(tΩ)/sin Ω·θ₁,
 * and linear interpolation when they are nearly colinear (|cos Ω| > 0.9995). {@code t} is required
 * (0 gives the base); give it a gradient to vary it over layers. The angle comes from Σθ₀², Σθ₁² and
 * Σθ₀·θ₁ in float64 ({@link TensorSums}), so a tensor merges in pieces once those are known.
 */
public final class SlerpMerge implements MergeMethod {
    private static final Term[] TERMS = {Term.dot(0, 0), Term.dot(1, 1), Term.dot(0, 1)};

    @Override public String name() { return "slerp"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return Set.of("t"); }
    @Override public boolean piecewise(TensorParams params) { return true; }

    @Override
    public TensorSums sums(TensorParams params, int models, long elements, int cols) {
        requireOneModel(models);
        return new TensorSums(elements, Math.max(1, elements), TERMS);
    }

    @Override
    public void feedSums(TensorOps ops, TensorSlot slot, long seed, TensorSums sums) {
        sums.feed(slot.base().data(), slot.models().get(0).data());
    }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        requireOneModel(slot.models().size());
        double t = slot.params().global("t", Double.NaN);
        if (Double.isNaN(t)) throw new IllegalArgumentException(slot.name() + ": merge.slerp needs parameter t (0 = base, 1 = the model)");
        TensorSums s = sumsOf(ops, slot, seed);
        double[] w = TensorOps.slerpWeights(s.get(0, 0), s.get(0, 1), s.get(0, 2), (float) t);
        Tensor out = Tensor.zerosLike(slot.base());
        ops.scale(slot.base(), (float) w[0], out);
        ops.axpy((float) w[1], slot.models().get(0), out);
        return out;
    }

    private static void requireOneModel(int models) {
        if (models != 1) throw new IllegalArgumentException("merge.slerp interpolates the base and exactly one model, got " + models + " models");
    }
}
