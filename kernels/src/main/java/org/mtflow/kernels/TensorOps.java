package org.mtflow.kernels;

/**
 * The op set that compute nodes are written against: training, merging and evaluation all reduce
 * to these. Each device is served by one implementation: {@link org.mtflow.kernels.jvm.JavaOps}
 * (plain Java, the reference) or {@link org.mtflow.kernels.aparapi.AparapiOps} (OpenCL through
 * Aparapi, which keeps tiny tensors in plain Java where a launch costs more than the work).
 *
 * <p>Conventions. Tensors are float32, row-major. "Rows" of a tensor are its leading dimensions
 * flattened, "columns" its last dimension. An {@code out} may alias an input wherever the op is
 * elementwise (same index in, same index out), never for matmul, softmax rows or the merge ops that
 * read several elements per output. Shapes are checked the same way on every backend
 * ({@link Shapes}); a bad call throws IllegalArgumentException before any element is written.
 *
 * <p>Determinism. Results agree across backends to float tolerance, except the ops marked
 * <b>exact</b>: those are bit-identical on every backend and device, whatever the thread count.
 * Random ops draw element {@code i} from Philox4x32-10 keyed by (seed, stream) — see
 * {@link org.mtflow.kernels.random.Philox} — so masks and inits do not depend on where they ran.
 * Reductions return double; each backend sums fixed blocks in float and the blocks in double, so a
 * backend gives the same result on any number of threads.
 */
public interface TensorOps extends AutoCloseable {

    /** A short name for logs and reports, e.g. {@code java} or {@code opencl:pthread-cpu}. */
    String name();

    // ---------------------------------------------------------------- linear algebra

    /**
     * {@code out = op(a) · op(b)} where op transposes when asked: A·B, Aᵀ·B (backprop's weight
     * gradient), A·Bᵀ (backprop's input gradient), Aᵀ·Bᵀ. a, b and out are rank 2; out must not alias
     * a or b. Relative error ‖out − ref‖/‖ref‖ below 1e-5 against a float64 product.
     */
    void matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out);

    /** {@code out = a · b} for a [m,k] and b [k,n]. */
    default void matmul(Tensor a, Tensor b, Tensor out) {
        matmul(a, false, b, false, out);
    }

    /** {@code out[r, c] = x[r, c] + bias[c]}: bias has as many elements as x has columns. */
    void addBias(Tensor x, Tensor bias, Tensor out);

    /** {@code out[c] = Σ_r x[r, c]}: the column sums (a bias gradient). out has x's column count. */
    void sumRows(Tensor x, Tensor out);

    /** {@code a[i, j] += alpha · x[i] · y[j]}: rank-1 update of a [len(x), len(y)]. */
    void outerAccumulate(float alpha, Tensor x, Tensor y, Tensor a);

    // ---------------------------------------------------------------- elementwise (exact)

    /** {@code out = a + b}. Exact. */
    void add(Tensor a, Tensor b, Tensor out);

    /** {@code out = a − b}. Exact. */
    void sub(Tensor a, Tensor b, Tensor out);

    /** {@code out = a ⊙ b}. Exact. */
    void mul(Tensor a, Tensor b, Tensor out);

    /** {@code out = s · a}. Exact. */
    void scale(Tensor a, float s, Tensor out);

    /** {@code y = alpha · x + y}, computed as {@code fma(alpha, x, y)}. Exact. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** {@code out = Math.min(Math.max(a, lo), hi)} (NaN stays NaN). Exact. */
    void clamp(Tensor a, float lo, float hi, Tensor out);

    /** {@code out = Math.signum(a)}: 1, −1, or 0 for ±0 (the zero keeps its sign; NaN stays NaN). Exact. */
    void sign(Tensor a, Tensor out);

    /** {@code out = |a|}: the sign bit cleared (NaN included). Exact. */
    void abs(Tensor a, Tensor out);

    /** {@code out = Math.max(a, 0f)}: NaN stays NaN, −0 becomes +0. Exact. */
    void relu(Tensor a, Tensor out);

    /** {@code gradIn = gradOut where x > 0, else 0}. Exact. */
    void reluBackward(Tensor x, Tensor gradOut, Tensor gradIn);

    /** GELU, tanh form: {@code 0.5·a·(1 + tanh(√(2/π)·(a + 0.044715·a³)))}. Float tolerance. */
    void gelu(Tensor a, Tensor out);

    /** {@code gradIn = gradOut · gelu'(x)} for the tanh form. Float tolerance. */
    void geluBackward(Tensor x, Tensor gradOut, Tensor gradIn);

    /** Fills {@code out} with {@code value}. Exact. */
    void fill(Tensor out, float value);

    /** {@code out = a}. Exact. */
    void copy(Tensor a, Tensor out);

    // ---------------------------------------------------------------- casts (exact)

    /**
     * Encodes float32 values as 16-bit floats, round to nearest even (NaN stays NaN, overflow goes
     * to infinity): {@code out[offset + i]} holds element i. Exact.
     */
    void encodeHalf(Tensor a, HalfType type, short[] out, int offset);

    /** Decodes 16-bit floats {@code in[offset + i]} into element i of {@code out}. Exact. */
    void decodeHalf(short[] in, int offset, HalfType type, Tensor out);

    // ---------------------------------------------------------------- reductions

    /** Σ a. */
    double sum(Tensor a);

    /** Σ a / n (NaN for an empty tensor). */
    default double mean(Tensor a) {
        return a.size() == 0 ? Double.NaN : sum(a) / a.size();
    }

    /** The largest element (−∞ for an empty tensor; NaN when any element is NaN). Exact. */
    float max(Tensor a);

    /**
     * For each row of a [rows, cols], the index of its largest element (the first on ties): a scan
     * from column 0 that moves only on a strictly greater element, so NaN never wins (but column 0).
     * Exact.
     */
    void argmaxRows(Tensor a, int[] out);

    /** Σ |a|. */
    double norm1(Tensor a);

    /** √(Σ a²). */
    double norm2(Tensor a);

    /** Σ a ⊙ b. */
    double dot(Tensor a, Tensor b);

    /** a·b / (‖a‖ ‖b‖), 0 when either is all zeros. */
    default double cosine(Tensor a, Tensor b) {
        double na = norm2(a), nb = norm2(b);
        return na == 0 || nb == 0 ? 0 : dot(a, b) / (na * nb);
    }

    /** Softmax of each row of a [rows, cols] (max-subtracted, so large logits do not overflow). */
    void softmaxRows(Tensor a, Tensor out);

    /**
     * Fused softmax + cross-entropy over the rows of logits [rows, classes] with integer labels:
     * returns the mean loss {@code −(1/rows) Σ_r log softmax(logits_r)[labels[r]]}, and when
     * {@code grad} is not null writes its gradient {@code (softmax − onehot) / rows}.
     */
    double softmaxCrossEntropy(Tensor logits, int[] labels, Tensor grad);

    // ---------------------------------------------------------------- optimizer steps (fused)

    /**
     * SGD with momentum (PyTorch semantics): {@code g = grad + wd·p; v = μ·v + g;
     * p −= lr · (nesterov ? g + μ·v : v)}. Updates param and velocity in place.
     */
    void sgdMomentum(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                     boolean nesterov);

    /**
     * Adam with decoupled weight decay (AdamW; weightDecay 0 is Adam): {@code p −= lr·wd·p;
     * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)},
     * {@code step} = t counted from 1. Updates param, m and v in place.
     */
    void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step);

    // ---------------------------------------------------------------- merging primitives

    /**
     * The k-th largest magnitude of a: the threshold t such that keeping |x| ≥ t keeps the top k
     * (and any ties with the k-th). O(n): a radix histogram over the float bits of |x|, never a
     * sort. k ≥ n gives 0 (keep all); k = 0 gives +∞ (keep none). Exact.
     */
    float topkThreshold(Tensor a, long k);

    /** {@code mask = |a| ≥ threshold ? 1 : 0}. Exact. */
    void maskAtLeast(Tensor a, float threshold, Tensor mask);

    /**
     * TIES sign election over task vectors of one shape: SUM elects {@code sign(Σ_k x_k)} (the sign
     * of the total mass), COUNT elects {@code sign(Σ_k sign(x_k))} (the majority). Writes +1, −1 or 0.
     * Exact for COUNT; SUM's total is float tolerance, so its sign is exact except at near-zero sums.
     */
    void electSign(Tensor[] xs, SignElection mode, Tensor out);

    /**
     * Disjoint merge: for each element, over the x_k that are non-zero and agree with
     * {@code sign} (sign ≠ 0), their sum, or their mean when {@code mean}; 0 where none agree.
     * With a mask of ones this is the plain masked sum/mean over K task vectors.
     */
    void disjointMerge(Tensor[] xs, Tensor sign, boolean mean, Tensor out);

    /**
     * DARE's drop-and-rescale: element i is kept with probability 1 − p, decided by Philox draw i of
     * (seed, stream) — {@code keep ⇔ (bits >>> 8) ≥ Math.round(p · 2^24)} — and rescaled by 1/(1 − p),
     * as {@code a · s} with the float {@code s = 1f / (1f − p)}; dropped elements become 0. Exact: the
     * same elements drop, with the same values, on every backend.
     */
    default void dropAndRescale(Tensor a, float p, long seed, long stream, Tensor out) {
        dropAndRescale(a, p, seed, stream, 0, out);
    }

    /**
     * {@link #dropAndRescale(Tensor, float, long, long, Tensor)} of a piece of a larger tensor that
     * starts at element {@code offset}: element i of {@code a} takes Philox draw offset + i, so a tensor
     * dropped in pieces gives the same bits as dropped whole. 0 ≤ offset and offset + size ≤ 2^34.
     */
    void dropAndRescale(Tensor a, float p, long seed, long stream, long offset, Tensor out);

    /**
     * Spherical interpolation between a and b as flat vectors: {@code sin((1−t)θ)/sin θ · a +
     * sin(tθ)/sin θ · b} where θ is the angle between them; linear interpolation when they are
     * (nearly) colinear, |cos θ| > 0.9995. Float tolerance.
     */
    void slerp(Tensor a, Tensor b, float t, Tensor out);

    /**
     * SLERP's weights of a and b from Σ a², Σ b² and Σ a·b: {sin((1−t)θ)/sin θ, sin(tθ)/sin θ}, or
     * {1 − t, t} where the vectors are (nearly) colinear (|cos θ| &gt; 0.9995) or one is zero. Every
     * backend's {@link #slerp} uses these, and so can callers that find the sums themselves.
     */
    static double[] slerpWeights(double aa, double bb, double ab, double t) {
        double normA = Math.sqrt(aa), normB = Math.sqrt(bb);
        double cos = normA == 0 || normB == 0 ? 1 : ab / (normA * normB);
        if (Math.abs(cos) > 0.9995) return new double[] {1 - t, t};
        double theta = Math.acos(Math.max(-1, Math.min(1, cos))), sin = Math.sin(theta);
        return new double[] {Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin};
    }

    /**
     * Per-row rank mask: in each row of a [rows, cols], 1 for the k elements of largest |x| (ties go
     * to the lower column index), 0 elsewhere. Exact.
     */
    void rowTopkMask(Tensor a, int k, Tensor mask);

    // ---------------------------------------------------------------- random (exact)

    /**
     * Element i = uniform in [lo, hi) from Philox draw i of (seed, stream):
     * {@link org.mtflow.kernels.random.Philox#toUniform}, i.e. {@code min(fma(hi − lo, u, lo),
     * nextDown(hi))} with u = (bits >>> 8)·2⁻²⁴ — an fma, so no compiler can round it differently. Exact.
     */
    default void uniform(long seed, long stream, float lo, float hi, Tensor out) {
        uniform(seed, stream, 0, lo, hi, out);
    }

    /**
     * {@link #uniform(long, long, float, float, Tensor)} of a piece of a larger draw that starts at
     * element {@code offset}: element i takes Philox draw offset + i, so a tensor drawn in pieces gets
     * the whole draw's bits. 0 ≤ offset and offset + size ≤ 2^34.
     */
    void uniform(long seed, long stream, long offset, float lo, float hi, Tensor out);

    /**
     * Element i = a normal draw (Box–Muller over draws 2i and 2i+1 of (seed, stream)), defined bit for
     * bit by {@link org.mtflow.kernels.random.Philox#normal}. Exact: every backend computes it with that
     * Java code, because OpenCL's log/cos/sqrt are not correctly rounded.
     */
    void normal(long seed, long stream, float mean, float std, Tensor out);

    // ---------------------------------------------------------------- allocating conveniences

    default Tensor matmul(Tensor a, Tensor b) {
        Shapes.requireMatmul(a, b);
        Tensor out = Tensor.zeros(a.dim(0), b.dim(1));
        matmul(a, b, out);
        return out;
    }

    default Tensor add(Tensor a, Tensor b) {
        Tensor out = Tensor.zerosLike(a);
        add(a, b, out);
        return out;
    }

    default Tensor scale(Tensor a, float s) {
        Tensor out = Tensor.zerosLike(a);
        scale(a, s, out);
        return out;
    }

    @Override
    default void close() {}

    /** The 16-bit float formats of checkpoints. */
    enum HalfType {
        /** IEEE 754 binary16: 5 exponent bits, 10 mantissa bits. */
        F16,
        /** bfloat16: float32's 8 exponent bits, 7 mantissa bits. */
        BF16
    }

    /** How TIES elects the sign of each element. */
    enum SignElection { SUM, COUNT }
}
