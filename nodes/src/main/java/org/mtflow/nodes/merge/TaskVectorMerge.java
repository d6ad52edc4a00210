package org.mtflow.nodes.merge;

import java.util.List;
import java.util.Set;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOps.SignElection;

/**
 * The task-vector pipeline that task arithmetic, TIES, DARE, Breadcrumbs and DELLA share (mergekit's
 * generalized task arithmetic): for each model i, τᵢ = θᵢ − θ₀ thinned by the method's
 * {@link Sparsification} with its {@code density}, then weighted, xᵢ = wᵢ·τ̃ᵢ. Without sign consensus
 * the merged update is Σᵢ xᵢ, divided (when {@code normalize}) by Σᵢ wᵢ. With sign consensus an
 * elected sign s per element — {@code consensus: sum} (default) s = sign(Σᵢ xᵢ), or {@code count}
 * s = sign(Σᵢ sign(xᵢ)), with 0 counted as + (mergekit's ≥ 0 rule) — keeps the xᵢ whose sign is s, and
 * the update is Σᵢ [sign xᵢ = s]·xᵢ, divided (when {@code normalize}) by Σᵢ [sign xᵢ = s]·wᵢ (1 where
 * that is 0). Finally θ = θ₀ + λ·update.
 *
 * <p>The sign vote is over weighted task vectors and the mean's divisor is weighted (mergekit); with
 * all weights 1 (the default) these are the TIES paper's vote and disjoint mean exactly. PEFT's
 * variant: {@code vote_weighted: false} votes on the unweighted τ̃ᵢ, {@code mean_weighted: false}
 * divides by the number of agreeing models (for positive weights).
 */
final class TaskVectorMerge {
    /** The parameters every task-vector method reads. */
    static final Set<String> PARAMETERS = Set.of("weight", "lambda", "normalize");

    private final Sparsification sparsification;
    private final boolean consensus;
    private final boolean defaultNormalize;
    private final boolean defaultRescale;

    TaskVectorMerge(Sparsification sparsification, boolean consensus, boolean defaultNormalize, boolean defaultRescale) {
        this.sparsification = sparsification;
        this.consensus = consensus;
        this.defaultNormalize = defaultNormalize;
        this.defaultRescale = defaultRescale;
    }

    /** The parameters of this pipeline: the common ones, density/rescale with sparsification, consensus with a vote. */
    Set<String> parameters(String... extra) {
        var all = new java.util.TreeSet<>(PARAMETERS);
        if (sparsification != Sparsification.NONE) all.addAll(List.of("density", "rescale", "rescale_norm"));
        if (sparsification == Sparsification.MAGNITUDE) all.add("topk");
        if (consensus) all.addAll(List.of("consensus", "vote_weighted", "mean_weighted"));
        all.addAll(List.of(extra));
        return Set.copyOf(all);
    }

    /** See {@link MergeMethod#thresholdRanks}. */
    long[] thresholdRanks(TensorParams params, int model, long elements) {
        return sparsification.ranks(params, model, elements);
    }

    /** See {@link MergeMethod#wholeRows}: DELLA ranks magnitudes within rows. */
    boolean wholeRows() {
        return sparsification == Sparsification.DELLA;
    }

    /**
     * See {@link MergeMethod#sums}: with a rescale by Σ|τᵢ| / Σ|τ̃ᵢ|, both sums for every model (model
     * i's are terms 2i and 2i + 1, as {@link Sparsification#apply} reads them); else none.
     */
    TensorSums sums(TensorParams params, int models, long elements) {
        boolean any = false;
        for (int i = 0; i < models; i++) any |= sparsification.rescalesBySums(params, i, params.flag("rescale", defaultRescale));
        if (!any) return null;
        TensorSums.Term[] terms = new TensorSums.Term[2 * models];
        for (int j = 0; j < terms.length; j++) terms[j] = TensorSums.Term.abs(j);
        return new TensorSums(elements, Math.max(1, elements), terms);
    }

    /** Feeds each model's τᵢ and its thinned τ̃ᵢ (not rescaled) to {@link #sums}' accumulator. */
    void feedSums(TensorOps ops, TensorSlot slot, long seed, TensorSums sums) {
        int k = slot.models().size();
        float[][] v = new float[2 * k][];
        for (int i = 0; i < k; i++) {
            Tensor tau = Elementwise.delta(ops, slot.models().get(i), slot.base());
            v[2 * i] = tau.data();
            v[2 * i + 1] = sparsification.apply(ops, tau, slot, i, seed, false).data();
        }
        sums.feed(v);
    }

    Tensor merge(TensorOps ops, TensorSlot slot, long seed) {
        return ops.add(slot.base(), update(ops, slot, seed));
    }

    /** λ·(combined update), without the base added. */
    Tensor update(TensorOps ops, TensorSlot slot, long seed) {
        TensorParams p = slot.params();
        int k = slot.models().size();
        boolean normalize = p.flag("normalize", defaultNormalize);
        boolean rescale = p.flag("rescale", defaultRescale);
        Tensor[] xs = new Tensor[k];
        for (int i = 0; i < k; i++) {
            xs[i] = sparsification.apply(ops, Elementwise.delta(ops, slot.models().get(i), slot.base()), slot, i, seed, rescale);
        }
        // PEFT votes on the unweighted task vectors; mergekit (the default) on the weighted ones
        boolean voteWeighted = p.flag("vote_weighted", true);
        Tensor sign = consensus && !voteWeighted ? electedSign(ops, xs, election(slot)) : null;
        double weightSum = 0;
        for (int i = 0; i < k; i++) {
            float w = (float) p.model(i, "weight", 1.0);
            weightSum += w;
            if (w != 1f) ops.scale(xs[i], w, xs[i]);
        }
        Tensor update = Tensor.zerosLike(slot.base());
        if (consensus) {
            if (sign == null) sign = electedSign(ops, xs, election(slot));
            boolean countMean = normalize && !p.flag("mean_weighted", true);
            float w = equalWeight(p, k);
            if (normalize && !countMean && !Float.isNaN(w)) {
                // Equal weights w: Σ[agree]·xᵢ / Σ[agree]·w is the count mean divided by w, in one pass.
                ops.disjointMerge(xs, sign, true, update);
                if (w != 1f) ops.scale(update, 1f / w, update);
            } else {
                ops.disjointMerge(xs, sign, countMean, update);
            }
            if (normalize && !countMean && Float.isNaN(w)) {
                Tensor divisor = Tensor.zerosLike(update), agree = Tensor.zerosLike(update);
                for (int i = 0; i < k; i++) {
                    ops.sign(xs[i], agree);
                    ops.mul(agree, sign, agree);
                    ops.relu(agree, agree);
                    ops.axpy((float) p.model(i, "weight", 1.0), agree, divisor);
                }
                ops.mul(update, Elementwise.safeReciprocal(divisor, 0f), update);
            }
        } else {
            for (Tensor x : xs) ops.add(update, x, update);
            if (normalize && Math.abs(weightSum) >= 1e-8) ops.scale(update, (float) (1.0 / weightSum), update);
        }
        double lambda = p.global("lambda", 1.0);
        if (lambda != 1) ops.scale(update, (float) lambda, update);
        return update;
    }

    /** The weight every model has, or NaN when they differ (or one is 0, where the count mean would not hold). */
    private static float equalWeight(TensorParams p, int k) {
        float w = (float) p.model(0, "weight", 1.0);
        for (int i = 1; i < k; i++) {
            if ((float) p.model(i, "weight", 1.0) != w) return Float.NaN;
        }
        return w == 0f ? Float.NaN : w;
    }

    static SignElection election(TensorSlot slot) {
        String mode = slot.params().option("consensus", "sum");
        return switch (mode) {
            case "sum" -> SignElection.SUM;
            case "count" -> SignElection.COUNT;
            default -> throw new IllegalArgumentException(slot.name() + ": consensus is '" + mode + "'; want sum or count");
        };
    }

    /** The elected sign with 0 counted as +1: s + 1 − |s|. */
    static Tensor electedSign(TensorOps ops, Tensor[] xs, SignElection mode) {
        Tensor s = Tensor.zerosLike(xs[0]), abs = Tensor.zerosLike(xs[0]);
        ops.electSign(xs, mode, s);
        ops.abs(s, abs);
        ops.sub(s, abs, abs);
        ops.fill(s, 1f);
        ops.add(abs, s, s);
        return s;
    }
}
