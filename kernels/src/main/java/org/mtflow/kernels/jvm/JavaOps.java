package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.Parallel.BLOCK;

import org.mtflow.kernels.Shapes;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;

/**
 * The plain-Java backend: the reference for every other backend and the path for machines
 * without OpenCL. Work is split into fixed blocks whose boundaries do not depend on the thread
 * count, so results are identical on any number of threads; small work runs on the calling thread.
 * The op families live in package-private classes: {@link JavaMatmul} ({@link VectorMatmul} when
 * the JVM has jdk.incubator.vector), {@link JavaLinear},
 * {@link JavaElementwise}, {@link JavaReduce}, {@link JavaOptim}, {@link JavaMerge},
 * {@link JavaTopk}. Run the JVM with {@code -XX:LoopUnrollLimit=250}, or C2 leaves the matmul and
 * several elementwise loops scalar.
 *
 * <p>Where {@link TensorOps} leaves a detail open, this backend defines it:
 * <ul>
 *   <li>Sums (sum, norm1, dot) add each block of {@link Parallel#BLOCK} elements in float, the
 *       blocks in double; norm2 adds runs of 32 squares per lane in float, the runs in double, and a
 *       block again in double throughout where that overflows (float squares overflow above
 *       1.8e19); sumRows adds each column in double.</li>
 *   <li>sign is {@link Math#signum(float)} (−0 stays −0). argmaxRows never moves to a NaN (a
 *       NaN in column 0 stays the answer), as the OpenCL kernel, and gives −1 for a row without
 *       columns.</li>
 *   <li>topkThreshold and rowTopkMask rank NaN as a magnitude of 0.</li>
 *   <li>electSign writes +0 (never −0) where the election is void; SUM adds in input order.</li>
 *   <li>dropAndRescale: threshold {@code Math.round(p·2^24)} (half up), scale the float
 *       {@code 1f / (1f − p)}, kept element {@code x·scale}, dropped element +0; p outside [0,1] is
 *       an IllegalArgumentException.</li>
 *   <li>normal: {@link Philox#normal}; uniform: {@link Philox#toUniform}, with lo < hi required.</li>
 *   <li>softmaxRows and softmaxCrossEntropy work in place (out, grad may alias the logits).</li>
 * </ul>
 */
public final class JavaOps implements TensorOps {
    /**
     * Whether the Vector API is there: only with {@code --add-modules jdk.incubator.vector}. Checked
     * here, not in {@link VectorLoops}, whose initialisation needs the module's classes.
     */
    static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private final Parallel par;
    /** Use {@link VectorLoops} for the loops C2 leaves scalar (casts, reductions, mask, COUNT election). */
    private final boolean vectors;

    /**
     * A backend on {@code threads} threads; it uses the Vector API when the JVM has the incubator
     * module ({@code --add-modules jdk.incubator.vector}) unless {@code -Dmtflow.kernels.scalar=true}.
     */
    public JavaOps(int threads) {
        this(threads, VECTOR_MODULE && !Boolean.getBoolean("mtflow.kernels.scalar"));
    }

    /** With the Vector API loops on or off (tests run both); on needs the module. */
    JavaOps(int threads, boolean vectors) {
        if (vectors && !VECTOR_MODULE) throw new IllegalStateException("jdk.incubator.vector is not loaded");
        this.par = new Parallel(threads);
        this.vectors = vectors;
    }

    public int threads() { return par.threads(); }

    @Override
    public String name() { return "java"; }

    /** Whether this backend runs the Vector API loops. */
    public boolean vectors() { return vectors; }

    // ---------------------------------------------------------------- linear algebra

    @Override
    public void matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        Shapes.requireMatmul(a, transposeA, b, transposeB, out);
        int m = out.dim(0), n = out.dim(1), k = a.dim(transposeA ? 0 : 1);
        if (vectors) VectorMatmul.matmul(par, a.data(), transposeA, b.data(), transposeB, out.data(), m, k, n);
        else JavaMatmul.matmul(par, a.data(), transposeA, b.data(), transposeB, out.data(), m, k, n);
    }

    @Override
    public void addBias(Tensor x, Tensor bias, Tensor out) {
        Shapes.requireBias(x, bias, out);
        JavaLinear.addBias(par, x.data(), bias.data(), x.rows(), x.cols(), out.data());
    }

    @Override
    public void sumRows(Tensor x, Tensor out) {
        Shapes.requireColumnSums(x, out);
        JavaLinear.sumRows(par, x.data(), x.rows(), x.cols(), out.data());
    }

    @Override
    public void outerAccumulate(float alpha, Tensor x, Tensor y, Tensor a) {
        Shapes.requireOuter(x, y, a);
        JavaLinear.outerAccumulate(par, alpha, x.data(), y.data(), a.data());
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        JavaElementwise.add(par, a.data(), b.data(), out.data());
    }

    @Override
    public void sub(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        JavaElementwise.sub(par, a.data(), b.data(), out.data());
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        JavaElementwise.mul(par, a.data(), b.data(), out.data());
    }

    @Override
    public void scale(Tensor a, float s, Tensor out) {
        Shapes.requireSame(a, out);
        JavaElementwise.scale(par, a.data(), s, out.data());
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        Shapes.requireSame(x, y);
        JavaElementwise.axpy(par, alpha, x.data(), y.data());
    }

    @Override
    public void clamp(Tensor a, float lo, float hi, Tensor out) {
        Shapes.requireSame(a, out);
        JavaElementwise.clamp(par, a.data(), lo, hi, out.data());
    }

    @Override
    public void sign(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        JavaElementwise.sign(par, a.data(), out.data());
    }

    @Override
    public void abs(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        JavaElementwise.abs(par, a.data(), out.data());
    }

    @Override
    public void relu(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        JavaElementwise.relu(par, a.data(), out.data());
    }

    @Override
    public void reluBackward(Tensor x, Tensor gradOut, Tensor gradIn) {
        Shapes.requireSame(x, gradOut, gradIn);
        if (vectors) VectorLoops.reluBackward(par, x.data(), gradOut.data(), gradIn.data());
        else JavaElementwise.reluBackward(par, x.data(), gradOut.data(), gradIn.data());
    }

    @Override
    public void gelu(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        JavaElementwise.gelu(par, a.data(), out.data());
    }

    @Override
    public void geluBackward(Tensor x, Tensor gradOut, Tensor gradIn) {
        Shapes.requireSame(x, gradOut, gradIn);
        JavaElementwise.geluBackward(par, x.data(), gradOut.data(), gradIn.data());
    }

    @Override
    public void fill(Tensor out, float value) {
        JavaElementwise.fill(par, out.data(), value);
    }

    @Override
    public void copy(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        JavaElementwise.copy(par, a.data(), out.data());
    }

    // ---------------------------------------------------------------- casts

    @Override
    public void encodeHalf(Tensor a, HalfType type, short[] out, int offset) {
        Shapes.requireHalfRange(a.size(), out, offset);
        if (vectors && type == HalfType.F16) VectorLoops.encodeF16(par, a.data(), out, offset);
        else if (vectors) VectorLoops.encodeBf16(par, a.data(), out, offset);
        else JavaElementwise.encodeHalf(par, a.data(), type, out, offset);
    }

    @Override
    public void decodeHalf(short[] in, int offset, HalfType type, Tensor out) {
        Shapes.requireHalfRange(out.size(), in, offset);
        if (vectors && type == HalfType.F16) VectorLoops.decodeF16(par, in, offset, out.data());
        else if (vectors) VectorLoops.decodeBf16(par, in, offset, out.data());
        else JavaElementwise.decodeHalf(par, in, offset, type, out.data());
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public double sum(Tensor a) { return vectors ? VectorLoops.sum(par, a.data()) : JavaReduce.sum(par, a.data()); }

    @Override
    public float max(Tensor a) { return JavaReduce.max(par, a.data()); }

    @Override
    public void argmaxRows(Tensor a, int[] out) {
        Shapes.requireRowOutput(a, out);
        JavaReduce.argmaxRows(par, a.data(), a.rows(), a.cols(), out);
    }

    @Override
    public double norm1(Tensor a) { return vectors ? VectorLoops.norm1(par, a.data()) : JavaReduce.norm1(par, a.data()); }

    @Override
    public double norm2(Tensor a) {
        return Math.sqrt(vectors ? VectorLoops.sumSquares(par, a.data()) : JavaReduce.sumSquares(par, a.data()));
    }

    @Override
    public double dot(Tensor a, Tensor b) {
        Shapes.requireSame(a, b);
        return vectors ? VectorLoops.dot(par, a.data(), b.data()) : JavaReduce.dot(par, a.data(), b.data());
    }

    @Override
    public void softmaxRows(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        JavaReduce.softmaxRows(par, a.data(), a.rows(), a.cols(), out.data());
    }

    @Override
    public double softmaxCrossEntropy(Tensor logits, int[] labels, Tensor grad) {
        Shapes.requireLabels(logits, labels, grad);
        return JavaReduce.softmaxCrossEntropy(par, logits.data(), logits.rows(), logits.cols(), labels,
                grad == null ? null : grad.data());
    }

    // ---------------------------------------------------------------- optimizer steps

    @Override
    public void sgdMomentum(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay,
                            boolean nesterov) {
        Shapes.requireSame(param, grad, velocity);
        JavaOptim.sgdMomentum(par, param.data(), grad.data(), velocity.data(), lr, momentum, weightDecay, nesterov);
    }

    @Override
    public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        Shapes.requireSame(param, grad, m);
        Shapes.requireSame(param, v);
        Shapes.requireStep(step);
        JavaOptim.adamW(par, param.data(), grad.data(), m.data(), v.data(), lr, beta1, beta2, eps, weightDecay, step);
    }

    // ---------------------------------------------------------------- merging primitives

    @Override
    public float topkThreshold(Tensor a, long k) {
        Shapes.requireNonNegative("k", k);
        return JavaTopk.threshold(par, a.data(), k, vectors);
    }

    @Override
    public void maskAtLeast(Tensor a, float threshold, Tensor mask) {
        Shapes.requireSame(a, mask);
        if (vectors) VectorLoops.maskAtLeast(par, a.data(), threshold, mask.data());
        else JavaMerge.maskAtLeast(par, a.data(), threshold, mask.data());
    }

    @Override
    public void electSign(Tensor[] xs, SignElection mode, Tensor out) {
        Shapes.requireMerge(xs, out);
        if (vectors && mode == SignElection.COUNT) VectorLoops.electCount(par, data(xs), out.data());
        else JavaMerge.electSign(par, data(xs), mode, out.data());
    }

    @Override
    public void disjointMerge(Tensor[] xs, Tensor sign, boolean mean, Tensor out) {
        Shapes.requireMerge(xs, out);
        Shapes.requireSame(sign, out);
        if (sign.data() == out.data()) throw new IllegalArgumentException("disjointMerge output must not alias the sign");
        JavaMerge.disjointMerge(par, data(xs), sign.data(), mean, out.data());
    }

    @Override
    public void dropAndRescale(Tensor a, float p, long seed, long stream, long offset, Tensor out) {
        Shapes.requireSame(a, out);
        Shapes.requireProbability(p);
        Shapes.requireDrawOffset(offset, out.size());
        if (vectors && offset % 4 == 0) VectorLoops.dropAndRescale(par, a.data(), p, seed, stream, offset, out.data());
        else JavaMerge.dropAndRescale(par, a.data(), p, seed, stream, offset, out.data());
    }

    @Override
    public void slerp(Tensor a, Tensor b, float t, Tensor out) {
        Shapes.requireSame(a, b, out);
        JavaMerge.slerp(par, a.data(), b.data(), t, out.data());
    }

    @Override
    public void rowTopkMask(Tensor a, int k, Tensor mask) {
        Shapes.requireSame(a, mask);
        Shapes.requireNonNegative("k", k);
        if (a.data() == mask.data()) throw new IllegalArgumentException("rowTopkMask output must not alias the input");
        JavaTopk.rowTopkMask(par, a.data(), a.rows(), a.cols(), k, mask.data());
    }

    private static float[][] data(Tensor[] xs) {
        float[][] d = new float[xs.length][];
        for (int i = 0; i < xs.length; i++) d[i] = xs[i].data();
        return d;
    }

    // ---------------------------------------------------------------- random

    @Override
    public void uniform(long seed, long stream, long offset, float lo, float hi, Tensor out) {
        Shapes.requireRange(lo, hi);
        Shapes.requireDrawOffset(offset, out.size());
        float[] z = out.data();
        if (vectors && offset % 4 == 0) {
            VectorLoops.uniform(par, seed, stream, offset, lo, hi, z);
            return;
        }
        par.forEach(Parallel.blocks(z.length), z.length >= Parallel.MIN_PARALLEL_ELEMENTS / 16, blk -> {
            int from = blk * BLOCK;
            Philox.fillUniform(z, from, Math.min(z.length, from + BLOCK), seed, stream, offset, lo, hi);
        });
    }

    /** Element i is {@link Philox#normal(long, long, long, float, float) Philox.normal(seed, stream, i, mean, std)}. */
    @Override
    public void normal(long seed, long stream, float mean, float std, Tensor out) {
        float[] z = out.data();
        par.forEach(Parallel.blocks(z.length), z.length >= Parallel.MIN_PARALLEL_ELEMENTS / 64, blk -> {
            int from = blk * BLOCK;
            Philox.fillNormal(z, from, Math.min(z.length, from + BLOCK), seed, stream, mean, std);
        });
    }

    @Override
    public void close() { par.close(); }
}
