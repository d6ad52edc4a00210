package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Consensus merging with TALL masks (Wang et al. 2024, "Localizing Task Information for Improved
 * Model Merging and Compression"): with τᵢ = θᵢ − θ₀ and τ = Σᵢ wᵢ·τᵢ (task arithmetic), model i's
 * TALL mask is mᵢ = [|τᵢ| ≥ {@code mask_lambda}ᵢ·|τ − τᵢ|] (the weights that matter to task i more
 * than to the others together); the consensus mask keeps weights that matter to at least {@code k}
 * tasks, c = [Σᵢ mᵢ ≥ k], and θ = θ₀ + λ·(c ⊙ τ). Defaults: k 2, mask_lambda 0.4, weight 1, λ 1.
 * k = 0 is task arithmetic; k = 1 drops only the weights no task claims ("selfish" ones are kept).
 */
public final class ConsensusMerge implements MergeMethod {
    @Override public String name() { return "consensus"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return Set.of("weight", "lambda", "k", "mask_lambda"); }
    /** Elementwise: element i of the result depends only on element i of the inputs. */
    @Override public boolean piecewise(TensorParams params) { return true; }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        TensorParams p = slot.params();
        int n = slot.models().size();
        Tensor[] taus = new Tensor[n];
        Tensor total = Tensor.zerosLike(slot.base());
        for (int i = 0; i < n; i++) {
            taus[i] = Elementwise.delta(ops, slot.models().get(i), slot.base());
            ops.axpy((float) p.model(i, "weight", 1.0), taus[i], total);
        }
        Tensor votes = Tensor.zerosLike(total), own = Tensor.zerosLike(total), rest = Tensor.zerosLike(total);
        for (int i = 0; i < n; i++) {
            ops.abs(taus[i], own);
            ops.sub(total, taus[i], rest);
            ops.abs(rest, rest);
            ops.scale(rest, (float) p.model(i, "mask_lambda", 0.4), rest);
            // mᵢ = [|τᵢ| ≥ λ|τ − τᵢ|] = 1 − [λ|τ − τᵢ| > |τᵢ|]
            Tensor mask = Elementwise.not(ops, Elementwise.greater(ops, rest, own));
            ops.add(votes, mask, votes);
        }
        double k = p.global("k", 2);
        Tensor keep = Tensor.zerosLike(total);
        ops.maskAtLeast(votes, (float) k, keep);
        ops.mul(total, keep, keep);
        Tensor out = Tensor.zerosLike(total);
        ops.copy(slot.base(), out);
        ops.axpy((float) p.global("lambda", 1.0), keep, out);
        return out;
    }
}
