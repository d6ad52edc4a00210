package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Weighted average (model soups; mergekit {@code linear}): θ = Σᵢ wᵢ·θᵢ / Σᵢ wᵢ, or Σᵢ wᵢ·θᵢ when
 * {@code normalize} is false. Defaults: weight 1, normalize true. No base model.
 */
public final class AverageMerge implements MergeMethod {
    @Override public String name() { return "average"; }
    @Override public boolean needsBase() { return false; }
    /** Elementwise: element i of the result depends only on element i of the inputs. */
    @Override public boolean piecewise(TensorParams params) { return true; }
    @Override public Set<String> parameters() { return Set.of("weight", "normalize"); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        TensorParams p = slot.params();
        Tensor out = Tensor.zerosLike(slot.models().get(0));
        double total = 0;
        for (int i = 0; i < slot.models().size(); i++) {
            double w = p.model(i, "weight", 1.0);
            total += w;
            ops.axpy((float) w, slot.models().get(i), out);
        }
        if (p.flag("normalize", true)) {
            if (Math.abs(total) < 1e-8) {
                throw new IllegalArgumentException(slot.name() + ": the weights sum to " + total + "; a normalized average needs a non-zero sum (or set normalize: false)");
            }
            ops.scale(out, (float) (1.0 / total), out);
        }
        return out;
    }
}
