package org.mtflow.nodes.merge;

import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.nodes.merge.TensorSums.Term;

/**
 * Model Stock (Jang et al. 2024; mergekit {@code model_stock}), per tensor: with τᵢ = θᵢ − θ₀ as flat
 * vectors and c the mean over pairs i &lt; j of cos(τᵢ, τⱼ) = τᵢ·τⱼ / max(‖τᵢ‖‖τⱼ‖, 1e-6) clamped to
 * [−1, 1] (mergekit's guard), the interpolation ratio t = N·c / (1 + (N − 1)·c) and
 * θ = t·mean(θᵢ) + (1 − t)·θ₀. With {@code filter_wise: true} each row (last dimension; a 1-D tensor
 * is one row) gets its own c and t. Needs at least two models. The dot products are float64 sums
 * ({@link TensorSums}), so a tensor merges in pieces once they are known.
 */
public final class ModelStockMerge implements MergeMethod {
    @Override public String name() { return "model-stock"; }
    @Override public boolean needsBase() { return true; }
    @Override public Set<String> parameters() { return Set.of("filter_wise"); }
    @Override public boolean piecewise(TensorParams params) { return true; }

    /** τᵢ·τⱼ for i ≤ j, in that order (pair (i, j) is term {@link #term}), per tensor or per row. */
    @Override
    public TensorSums sums(TensorParams params, int models, long elements, int cols) {
        requireTwoModels(models);
        Term[] terms = new Term[models * (models + 1) / 2];
        for (int i = 0; i < models; i++) {
            for (int j = i; j < models; j++) terms[term(models, i, j)] = Term.dot(i, j);
        }
        return new TensorSums(elements, Math.max(1, params.flag("filter_wise", false) ? cols : elements), terms);
    }

    @Override
    public void feedSums(TensorOps ops, TensorSlot slot, long seed, TensorSums sums) {
        float[][] taus = new float[slot.models().size()][];
        for (int i = 0; i < taus.length; i++) taus[i] = Elementwise.delta(ops, slot.models().get(i), slot.base()).data();
        sums.feed(taus);
    }

    @Override
    public Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        int n = slot.models().size();
        requireTwoModels(n);
        TensorSums s = sumsOf(ops, slot, seed);
        Tensor base = slot.base(), out = Tensor.zerosLike(base);
        if (!slot.params().flag("filter_wise", false)) {
            double t = ratio(s, 0, n);
            for (Tensor m : slot.models()) ops.axpy((float) (t / n), m, out);
            ops.axpy((float) (1 - t), base, out);
            return out;
        }
        // A ratio per row: out = Σᵢ θᵢ ⊙ a + θ₀ ⊙ b with a = t/N and b = 1 − t, row by row.
        float[] a = new float[base.size()], b = new float[base.size()];
        long row = s.segment();
        for (int e = 0; e < a.length; ) {
            long r = (slot.offset() + e) / row;
            int end = (int) Math.min(a.length, (r + 1) * row - slot.offset());
            double t = ratio(s, r, n);
            java.util.Arrays.fill(a, e, end, (float) (t / n));
            java.util.Arrays.fill(b, e, end, (float) (1 - t));
            e = end;
        }
        Tensor ta = Tensor.of(a, base.shape()), tmp = Tensor.zerosLike(base);
        for (Tensor m : slot.models()) {
            ops.mul(m, ta, tmp);
            ops.add(out, tmp, out);
        }
        ops.mul(base, Tensor.of(b, base.shape()), tmp);
        ops.add(out, tmp, out);
        return out;
    }

    /** t = N·c / (1 + (N − 1)·c) for segment r, c the mean clamped cosine over pairs. */
    private static double ratio(TensorSums s, long r, int n) {
        double cos = 0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double norms = Math.sqrt(s.get(r, term(n, i, i))) * Math.sqrt(s.get(r, term(n, j, j)));
                cos += Math.max(-1, Math.min(1, s.get(r, term(n, i, j)) / Math.max(norms, 1e-6)));
                pairs++;
            }
        }
        cos /= pairs;
        return n * cos / (1 + (n - 1) * cos);
    }

    /** The index of pair (i, j), i ≤ j, among the pairs of n listed row by row. */
    private static int term(int n, int i, int j) {
        return i * n - i * (i - 1) / 2 + (j - i);
    }

    private static void requireTwoModels(int models) {
        if (models < 2) throw new IllegalArgumentException("merge.model-stock needs at least two models, got " + models);
    }
}
