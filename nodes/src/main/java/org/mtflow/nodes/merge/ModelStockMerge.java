package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Model Stock (Jang et al. 2024; mergekit {@code model_stock}), per tensor: with τᵢ = θᵢ − θ₀ as flat
 * vectors and c the mean of cos(τᵢ, τⱼ) over pairs i &lt; j (a zero vector has cosine 0), the
 * interpolation ratio t = N·c / (1 + (N − 1)·c) and θ = t·mean(θᵢ) + (1 − t)·θ₀. Needs at least two models.
 */
public final class ModelStockMerge implements MergeMethod {
    @Override public String name() { return "model-stock"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return Set.of(); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        int n = slot.models().size();
        if (n < 2) throw new IllegalArgumentException("merge.model-stock needs at least two models, got " + n);
        Tensor[] taus = new Tensor[n];
        for (int i = 0; i < n; i++) taus[i] = Elementwise.delta(ops, slot.models().get(i), slot.base());
        double cos = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                cos += ops.cosine(taus[i], taus[j]);
                pairs++;
            }
        }
        cos /= pairs;
        double t = n * cos / (1 + (n - 1) * cos);
        Tensor out = Tensor.zerosLike(slot.base());
        for (Tensor m : slot.models()) ops.axpy((float) (t / n), m, out);
        ops.axpy((float) (1 - t), slot.base(), out);
        return out;
    }
}
