package org.mtflow.nodes.merge;

import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;

/**
 * How a task vector τ is thinned before task vectors are combined (mergekit's sparsification
 * methods), per tensor, with the model's {@code density} d (d ≥ 1 keeps τ as is):
 * <ul>
 *   <li>{@link #MAGNITUDE} (TIES): keep the k = ⌊d·n⌋ entries of largest |τ| (ties with the k-th kept too);
 *       with {@code topk: global}, the k = ⌊d·N⌋ largest over the whole model (N its element count);
 *       with rescale, multiply by Σ|τ| / Σ|kept| (mergekit's rescale_sum).</li>
 *   <li>{@link #RANDOM} (DARE): keep each entry with probability d (Philox draws keyed by seed, tensor
 *       name and model index); with rescale, divide the kept ones by d.</li>
 *   <li>{@link #MAGNITUDE_OUTLIERS} (Model Breadcrumbs): drop the top ⌊γ·n⌋ magnitudes (outliers) and
 *       keep the next ⌊d·n⌋, dropping the smallest; when ⌊γ·n⌋ + ⌊d·n⌋ exceed n, fewer outliers are dropped
 *       (mergekit's rule); rescale as MAGNITUDE.</li>
 *   <li>{@link #DELLA} (DELLA's MagPrune): in each row (the last dimension; a 1-D tensor is one row)
 *       rank entries by |τ| from 1 (smallest) to n, keep entry i with probability
 *       p_i = d − ε + 2ε·(rank_i − 1)/(n − 1); with rescale, divide the kept ones by p_i.</li>
 * </ul>
 * The rescale of RANDOM and DELLA is the papers' 1/keep-probability by default; with
 * {@code rescale_norm: l1} it is mergekit's instead: the kept entries multiplied by Σ|τ| / Σ|kept|
 * (which MAGNITUDE and MAGNITUDE_OUTLIERS always use, their papers having no rescale).
 */
enum Sparsification {
    NONE, MAGNITUDE, RANDOM, MAGNITUDE_OUTLIERS, DELLA;

    /** τ thinned for model i of the slot (a new tensor, or τ itself when nothing is dropped). */
    Tensor apply(TensorOps ops, Tensor tau, TensorSlot slot, int i, long seed, boolean rescale) {
        if (this == NONE) return tau;
        TensorParams p = slot.params();
        double density = p.model(i, "density", 1.0);
        if (density >= 1) return tau;
        if (!(density >= 0)) throw new IllegalArgumentException(slot.name() + ": density of model " + i + " is " + density + "; want 0 ≤ density ≤ 1");
        long n = tau.size();
        String norm = p.option("rescale_norm", "inverse");
        if (!norm.equals("inverse") && !norm.equals("l1")) {
            throw new IllegalArgumentException(slot.name() + ": rescale_norm is '" + norm + "'; want inverse (the papers' 1/keep-probability) or l1 (mergekit's)");
        }
        if (rescale && norm.equals("l1") && (this == RANDOM || this == DELLA)) {
            return rescaleSum(ops, tau, apply(ops, tau, slot, i, seed, false), slot, i);
        }
        Tensor kept = switch (this) {
            case MAGNITUDE -> Elementwise.keepAtLeast(ops, tau, magnitudeThreshold(ops, tau, slot, i, density));
            case RANDOM -> random(ops, tau, (float) density, seed, stream("dare", slot.name(), i), slot.offset(), rescale);
            case MAGNITUDE_OUTLIERS -> outliers(ops, tau, density, p.model(i, "gamma", 0.01), slot.name(),
                    computed(p, TENSOR_THRESHOLD, i), computed(p, TENSOR_THRESHOLD_2, i));
            case DELLA -> della(ops, tau, density, p.model(i, "epsilon", 0.15), seed, stream("della", slot.name(), i), slot.offset(), rescale, slot.name());
            case NONE -> tau;
        };
        return rescale && (this == MAGNITUDE || this == MAGNITUDE_OUTLIERS) ? rescaleSum(ops, tau, kept, slot, i) : kept;
    }

    /**
     * Whether model i's thinned τ is rescaled by Σ|τ| / Σ|kept| (sums over the whole tensor, which a
     * merge in pieces finds first): MAGNITUDE's and MAGNITUDE_OUTLIERS' rescale, and RANDOM's and
     * DELLA's with {@code rescale_norm: l1}, for a model that drops something (density < 1).
     */
    boolean rescalesBySums(TensorParams p, int i, boolean rescale) {
        if (this == NONE || !rescale || !(p.model(i, "density", 1.0) < 1)) return false;
        return this == MAGNITUDE || this == MAGNITUDE_OUTLIERS || p.option("rescale_norm", "inverse").equals("l1");
    }

    /**
     * {@code topk: tensor} (default): the k-th largest |τ| of this tensor, k = ⌊density·n⌋;
     * {@code topk: global}: the model-wide threshold the {@link Merger} computed beforehand.
     */
    private static float magnitudeThreshold(TensorOps ops, Tensor tau, TensorSlot slot, int i, double density) {
        String scope = slot.params().option("topk", "tensor");
        if (scope.equals("tensor")) {
            double t = computed(slot.params(), TENSOR_THRESHOLD, i); // set when the tensor is merged in pieces
            return Double.isNaN(t) ? ops.topkThreshold(tau, (long) Math.floor(density * tau.size())) : (float) t;
        }
        if (!scope.equals("global")) throw new IllegalArgumentException(slot.name() + ": topk is '" + scope + "'; want tensor or global");
        double t = slot.params().model(i, GLOBAL_THRESHOLD, Double.NaN);
        if (Double.isNaN(t)) throw new IllegalArgumentException(slot.name() + ": topk: global needs the whole model's threshold; merge whole checkpoints (Merger)");
        return (float) t;
    }

    /** The computed per-model parameter holding topk: global's threshold. */
    static final String GLOBAL_THRESHOLD = "topk_threshold";

    /**
     * The computed per-model parameters holding, for a tensor merged in pieces, the whole tensor's
     * magnitude thresholds at the ranks {@link #ranks} asks for, in that order: TIES's top-k threshold;
     * Breadcrumbs' outlier threshold, then its keep threshold.
     */
    static final String TENSOR_THRESHOLD = "tensor_topk_threshold";
    static final String TENSOR_THRESHOLD_2 = "tensor_topk_threshold_2";

    /**
     * The ranks k whose k-th largest |τ| model i's thinning of an n-element tensor needs, for a merge
     * in pieces that finds them first in a streaming pass; empty when it needs none (density ≥ 1,
     * topk: global, or a thinning with no magnitude threshold).
     */
    long[] ranks(TensorParams p, int i, long n) {
        double density = p.model(i, "density", 1.0);
        if (density >= 1 || !(density >= 0)) return new long[0]; // d ≥ 1 keeps τ; a bad d fails when the piece is merged
        return switch (this) {
            case MAGNITUDE -> p.option("topk", "tensor").equals("tensor") ? new long[] {(long) Math.floor(density * n)} : new long[0];
            case MAGNITUDE_OUTLIERS -> {
                long[] topKeep = outlierRanks(n, density, p.model(i, "gamma", 0.01));
                yield new long[] {topKeep[0], topKeep[0] + topKeep[1]};
            }
            case NONE, RANDOM, DELLA -> new long[0];
        };
    }

    /** Breadcrumbs' {top, keep}: ⌊γ·n⌋ outliers dropped and ⌊d·n⌋ kept, fewer outliers when both exceed n. */
    private static long[] outlierRanks(long n, double density, double gamma) {
        long keep = (long) Math.floor(density * n);
        long top = (long) Math.floor(gamma * n);
        if (n - keep - top < 0) top = n - keep;
        return new long[] {top, keep};
    }

    /** A computed threshold for model i, or NaN when the tensor is merged whole. */
    private static double computed(TensorParams p, String key, int i) {
        return p.model(i, key, Double.NaN);
    }

    static long stream(String method, String tensor, int model) {
        return Philox.stream("merge", method, tensor, Integer.toString(model));
    }

    private static final TensorSums.Term[] L1 = {TensorSums.Term.abs(0), TensorSums.Term.abs(1)};

    /**
     * kept · Σ|τ| / Σ|kept| (unchanged when either sum is below 1e-7): the sums over the whole tensor,
     * model i's terms 2i and 2i + 1 of the slot's sums for a piece ({@link TaskVectorMerge#sums}), else
     * found here.
     */
    private static Tensor rescaleSum(TensorOps ops, Tensor tau, Tensor kept, TensorSlot slot, int i) {
        TensorSums sums = slot.sums();
        int at = 2 * i;
        if (sums == null) {
            sums = TensorSums.of(tau.size(), L1, tau.data(), kept.data());
            at = 0;
        }
        double before = sums.get(0, at), after = sums.get(0, at + 1);
        if (before >= 1e-7 && after >= 1e-7) ops.scale(kept, (float) (before / after), kept);
        return kept;
    }

    private static Tensor random(TensorOps ops, Tensor tau, float density, long seed, long stream, long offset, boolean rescale) {
        Tensor out = Tensor.zerosLike(tau);
        if (rescale) {
            ops.dropAndRescale(tau, 1f - density, seed, stream, offset, out);
        } else {
            // the same keep decisions, unscaled: the mask is sign(dropAndRescale(1))
            ops.fill(out, 1f);
            ops.dropAndRescale(out, 1f - density, seed, stream, offset, out);
            ops.sign(out, out);
            ops.mul(tau, out, out);
        }
        return out;
    }

    /** {@code hiKnown}/{@code loKnown}: the whole tensor's thresholds when merged in pieces, else NaN. */
    private static Tensor outliers(TensorOps ops, Tensor tau, double density, double gamma, String name, double hiKnown, double loKnown) {
        if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException(name + ": gamma is " + gamma + "; want 0 ≤ gamma ≤ 1");
        long[] topKeep = outlierRanks(tau.size(), density, gamma);
        long top = topKeep[0], keep = topKeep[1];
        float hi = Double.isNaN(hiKnown) ? ops.topkThreshold(tau, top) : (float) hiKnown;               // the outliers: |τ| ≥ hi
        float lo = Double.isNaN(loKnown) ? ops.topkThreshold(tau, top + keep) : (float) loKnown;        // outliers and kept: |τ| ≥ lo
        Tensor mask = Tensor.zerosLike(tau), drop = Tensor.zerosLike(tau);
        ops.maskAtLeast(tau, lo, mask);
        ops.maskAtLeast(tau, hi, drop);
        ops.sub(mask, drop, mask);
        ops.mul(tau, mask, mask);
        return mask;
    }

    private static Tensor della(TensorOps ops, Tensor tau, double density, double epsilon, long seed, long stream, long offset,
                                boolean rescale, String name) {
        if (!(epsilon > 0 && density - epsilon > 0 && density + epsilon < 1)) {
            throw new IllegalArgumentException(name + ": DELLA needs 0 < density − epsilon and density + epsilon < 1, got density "
                    + density + ", epsilon " + epsilon);
        }
        int cols = tau.rank() == 0 ? 1 : tau.cols(), rows = tau.size() / Math.max(cols, 1);
        // keep probabilities from per-row magnitude ranks: a sort, so plain Java (no rank kernel)
        float[] prob = new float[tau.size()], inverse = new float[tau.size()];
        float low = (float) (density - epsilon), span = (float) (2 * epsilon);
        MagnitudeRanks.forEach(tau.data(), rows, cols, (at, rank) -> {
            float norm = cols == 1 ? 0f : rank / (float) (cols - 1);
            float pi = low + norm * span;
            prob[at] = pi;
            inverse[at] = 1f / pi;
        });
        Tensor p = Tensor.of(prob, tau.shape());
        Tensor u = Tensor.zerosLike(tau);
        ops.uniform(seed, stream, offset, 0f, 1f, u);
        Tensor keep = Elementwise.greater(ops, p, u); // keep ⇔ u < p
        ops.mul(tau, keep, keep);
        if (rescale) ops.mul(keep, Tensor.of(inverse, tau.shape()), keep);
        return keep;
    }
}
