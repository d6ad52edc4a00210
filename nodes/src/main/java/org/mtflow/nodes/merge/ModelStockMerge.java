package org.mtflow.nodes.merge;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * Model Stock (Jang et al. 2024; mergekit {@code model_stock}), per tensor: with τᵢ = θᵢ − θ₀ as flat
 * vectors and c the mean over pairs i &lt; j of cos(τᵢ, τⱼ) = τᵢ·τⱼ / max(‖τᵢ‖‖τⱼ‖, 1e-6) clamped to
 * [−1, 1] (mergekit's guard), the interpolation ratio t = N·c / (1 + (N − 1)·c) and
 * θ = t·mean(θᵢ) + (1 − t)·θ₀. With {@code filter_wise: true} each row (last dimension; a 1-D tensor
 * is one row) gets its own c and t. Needs at least two models.
 */
public final class ModelStockMerge implements MergeMethod {
    @Override public String name() { return "model-stock"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return Set.of("filter_wise"); }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        int n = slot.models().size();
        if (n < 2) throw new IllegalArgumentException("merge.model-stock needs at least two models, got " + n);
        if (!slot.params().flag("filter_wise", false)) return stock(ops, slot.base(), slot.models());
        Tensor base = slot.base();
        int cols = base.rank() == 0 ? 1 : base.cols(), rows = base.size() / Math.max(cols, 1);
        float[] out = new float[base.size()];
        for (int r = 0; r < rows; r++) {
            int from = r * cols, to = from + cols;
            Tensor b = Tensor.of(Arrays.copyOfRange(base.data(), from, to), cols);
            List<Tensor> ms = slot.models().stream().map(m -> Tensor.of(Arrays.copyOfRange(m.data(), from, to), cols)).toList();
            System.arraycopy(stock(ops, b, ms).data(), 0, out, from, cols);
        }
        return Tensor.of(out, base.shape());
    }

    private static Tensor stock(TensorOps ops, Tensor base, List<Tensor> models) {
        int n = models.size();
        Tensor[] taus = new Tensor[n];
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            taus[i] = Elementwise.delta(ops, models.get(i), base);
            norms[i] = ops.norm2(taus[i]);
        }
        double cos = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                cos += Math.max(-1, Math.min(1, ops.dot(taus[i], taus[j]) / Math.max(norms[i] * norms[j], 1e-6)));
                pairs++;
            }
        }
        cos /= pairs;
        double t = n * cos / (1 + (n - 1) * cos);
        Tensor out = Tensor.zerosLike(base);
        for (Tensor m : models) ops.axpy((float) (t / n), m, out);
        ops.axpy((float) (1 - t), base, out);
        return out;
    }
}
