package org.mtflow.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.mtflow.kernels.Reference.assertClose;
import static org.mtflow.kernels.Reference.assertSameFloat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mtflow.kernels.TensorOps.HalfType;
import org.mtflow.kernels.TensorOps.SignElection;
import org.mtflow.kernels.random.Philox;

/**
 * What every backend must do, checked against float64 references on fresh random inputs. Each run
 * draws a new seed and prints it; set {@code -Dmtflow.test.seed=N} to replay a failure.
 *
 * <p>Outputs start poisoned (NaN) so that an element an op forgets to write fails. Ops documented as
 * exact must match a reference bit for bit (any NaN equals any NaN), special values included; the
 * others match within float tolerance. An op a backend does not have yet (TensorOps's temporary
 * defaults) makes its tests abort — reported as skipped, never passed.
 */
public abstract class TensorOpsContract {
    protected static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    protected abstract TensorOps ops();

    /** Called after each op; backends check where the op really ran. */
    protected void afterOp(String op) {}

    protected static String ctx(String what) {
        return what + " (seed " + SEED + ", replay with -Dmtflow.test.seed=" + SEED + ")";
    }

    /** Bit equality (any NaN equals any NaN); the message is built only on failure. */
    private static void same(float expected, float actual, String what, long index) {
        if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) assertSameFloat(expected, actual, ctx(what + " [" + index + "]"));
    }

    /** |actual − expected| ≤ tol; the message is built only on failure. */
    private static void close(double expected, float actual, double tol, String what, long index) {
        if (!(Math.abs(actual - expected) <= tol) && !(Double.isNaN(expected) && Float.isNaN(actual))) {
            assertClose(expected, actual, tol, ctx(what + " [" + index + "]"));
        }
    }

    /**
     * The float32 error bound of one softmax probability p when logits lie in [−range, range]: a
     * float32 backend rounds x − max (absolute error up to 2·range·2⁻²⁴, which exp turns into that
     * relative error), and exp and the normalising sum add a few ulps. The float64 reference rounds
     * nothing, so at range 1000 a correct kernel differs by up to ~1e-4 relative.
     */
    private static double softmaxTolerance(double p, double range) {
        return Math.abs(p) * (2 * range + 16) * 0x1p-24 + 1e-12;
    }

    private static void check(boolean ok, String what, long index) {
        if (!ok) fail(ctx(what + " [" + index + "]"));
    }

    private static SplittableRandom rng(String op, long... params) {
        long s = SEED ^ op.hashCode() * 0x9E3779B97F4A7C15L;
        for (long p : params) s = s * 31 + p;
        return new SplittableRandom(s);
    }

    static Stream<Integer> sizes() {
        return Stream.of(1, 2, 7, 4095, 4096, 4097, 16384, 100_003, 1_000_000);
    }

    // ================================================================ linear algebra

    static Stream<Arguments> matmulShapes() {
        // Around the plain-Java tile sizes (panels of 512 columns, k-blocks of 255, 60-row tasks,
        // 6-row strips, 3-step kernels) and OpenCL-ish ones (powers of two), 1-element edges, huge k.
        int[][] shapes = {{1, 1, 1}, {1, 7, 1}, {3, 1, 5}, {4, 4, 4}, {5, 3, 513}, {7, 2, 1}, {33, 17, 1025},
                {64, 64, 64}, {61, 256, 511}, {127, 200, 130}, {121, 511, 33}, {256, 300, 512}, {2, 1000, 3},
                {1, 513, 1025}, {2, 20_000, 3}, {65, 767, 66}};
        List<Arguments> args = new ArrayList<>();
        for (int[] s : shapes)
            for (int v = 0; v < 4; v++) args.add(Arguments.of(s[0], s[1], s[2], (v & 1) != 0, (v & 2) != 0));
        return args.stream();
    }

    @ParameterizedTest(name = "matmul {0}x{1}x{2} Aᵀ={3} Bᵀ={4}")
    @MethodSource("matmulShapes")
    void matmulMatchesFloat64Reference(int m, int k, int n, boolean ta, boolean tb) {
        SplittableRandom rng = rng("matmul", m, k, n, ta ? 1 : 0, tb ? 1 : 0);
        Tensor a = Reference.random(rng, m, k), b = Reference.random(rng, k, n);
        Tensor out = Reference.poisoned(m, n);
        ops().matmul(Reference.stored(a, ta), ta, Reference.stored(b, tb), tb, out);
        afterOp("matmul");
        String what = "matmul " + m + "x" + k + "x" + n + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "");
        double[] ref = Reference.matmul(a, b);
        double err = Reference.relativeError(out.data(), ref, ctx(what));
        // Where the result cancels (a 1×7×1 product near 0), float32 sums of k products cannot keep
        // 1e-5 of it: there the bound is a k-term dot's worst rounding, k·2⁻²⁴ of ‖|A|·|B|‖.
        double refNorm = norm(ref), absNorm = norm(Reference.matmul(abs(a), abs(b)));
        double rounding = k * 0x1p-24 * absNorm;
        double bound = refNorm == 0 ? rounding : Math.max(1e-5, rounding / refNorm); // relativeError is absolute for a zero ref
        assertTrue(err < bound, ctx(what + ": relative error " + err + " (bound " + bound + ")"));
    }

    private static double norm(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s);
    }

    private static Tensor abs(Tensor t) {
        float[] d = t.data().clone();
        for (int i = 0; i < d.length; i++) d[i] = Math.abs(d[i]);
        return Tensor.of(d, t.shape());
    }

    @Test
    void matmulOfEmptyInnerDimensionIsZeros() {
        Tensor out = Reference.poisoned(3, 4);
        ops().matmul(Tensor.zeros(3, 0), false, Tensor.zeros(0, 4), false, out);
        afterOp("matmul");
        for (float v : out.data()) assertSameFloat(0f, v, "empty product");
    }

    @Test
    void matmulRejectsMismatchedShapes() {
        assertThrows(IllegalArgumentException.class, () -> ops().matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 2)));
        Tensor a = Tensor.zeros(2, 2);
        assertThrows(IllegalArgumentException.class, () -> ops().matmul(a, Tensor.zeros(2, 2), a));
        assertThrows(IllegalArgumentException.class,
                () -> ops().matmul(Tensor.zeros(2, 3), true, Tensor.zeros(2, 4), false, Tensor.zeros(2, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> ops().matmul(Tensor.zeros(2, 3), false, Tensor.zeros(3, 4), true, Tensor.zeros(2, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> ops().matmul(Tensor.zeros(2, 3), false, Tensor.zeros(3, 4), false, Tensor.zeros(2, 5)));
        assertThrows(IllegalArgumentException.class,
                () -> ops().matmul(Tensor.zeros(6), false, Tensor.zeros(3, 4), false, Tensor.zeros(2, 4)));
        Tensor b = Tensor.zeros(3, 3);
        assertThrows(IllegalArgumentException.class, () -> ops().matmul(Tensor.zeros(3, 3), true, b, true, b));
    }

    @ParameterizedTest(name = "addBias rows={0} cols={1}")
    @MethodSource("rowShapes")
    void addBiasAddsPerColumn(int rows, int cols) {
        SplittableRandom rng = rng("addBias", rows, cols);
        Tensor x = Reference.withSpecials(rng, 2, rows, cols), bias = Reference.random(rng, cols);
        Tensor out = Reference.poisoned(2, rows, cols);
        ops().addBias(x, bias, out);
        afterOp("addBias");
        float[] before = x.data().clone();
        for (int i = 0; i < before.length; i++) {
            same((float) ((double) before[i] + bias.data()[i % cols]), out.data()[i], "addBias", i);
        }
        ops().addBias(x, bias, x); // in place
        afterOp("addBias");
        assertArrayEquals(out.data(), x.data(), ctx("addBias in place"));
        assertThrows(IllegalArgumentException.class, () -> ops().addBias(x, Tensor.zeros(cols + 1), out));
        assertThrows(IllegalArgumentException.class, () -> ops().addBias(x, bias, Tensor.zeros(rows, cols + 1)));
    }

    static Stream<Arguments> rowShapes() {
        return Stream.of(Arguments.of(1, 1), Arguments.of(1, 9), Arguments.of(7, 1), Arguments.of(3, 100),
                Arguments.of(64, 513), Arguments.of(300, 70), Arguments.of(5, 20_000), Arguments.of(2_000, 257));
    }

    @ParameterizedTest(name = "sumRows rows={0} cols={1}")
    @MethodSource("rowShapes")
    void sumRowsMatchesFloat64Reference(int rows, int cols) {
        SplittableRandom rng = rng("sumRows", rows, cols);
        Tensor x = Reference.random(rng, rows, cols);
        Tensor out = Reference.poisoned(cols);
        ops().sumRows(x, out);
        afterOp("sumRows");
        double[] ref = Reference.columnSums(x.data(), rows, cols);
        for (int c = 0; c < cols; c++) {
            // |x| < 1: the column's sum of magnitudes is at most rows.
            close(ref[c], out.data()[c], 1e-6 * rows + 1e-7, "sumRows column", c);
        }
        assertThrows(IllegalArgumentException.class, () -> ops().sumRows(x, Tensor.zeros(cols + 1)));
    }

    @ParameterizedTest(name = "outerAccumulate {0}x{1}")
    @MethodSource("rowShapes")
    void outerAccumulateAddsScaledRankOne(int rows, int cols) {
        SplittableRandom rng = rng("outer", rows, cols);
        Tensor x = Reference.random(rng, rows), y = Reference.random(rng, cols), a = Reference.random(rng, rows, cols);
        float alpha = (float) (rng.nextDouble() * 4 - 2);
        float[] before = a.data().clone();
        ops().outerAccumulate(alpha, x, y, a);
        afterOp("outerAccumulate");
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                double term = (double) alpha * x.data()[i] * y.data()[j];
                double ref = before[i * cols + j] + term;
                close(ref, a.data()[i * cols + j], 2e-7 * (Math.abs(before[i * cols + j]) + Math.abs(term)) + 1e-30,
                        "outer element", (long) i * cols + j);
            }
        assertThrows(IllegalArgumentException.class, () -> ops().outerAccumulate(1f, x, y, Tensor.zeros(rows, cols + 1)));
    }

    // ================================================================ elementwise (exact)

    /** Binary exact ops: out, reference. */
    private void checkBinary(String op, int n, BiConsumer<Tensor[], Tensor> run, FloatBinary ref) {
        SplittableRandom rng = rng(op, n);
        Tensor a = Reference.withSpecials(rng, n), b = Reference.withSpecials(rng, n);
        Tensor out = Reference.poisoned(n);
        run.accept(new Tensor[] {a, b}, out);
        afterOp(op);
        for (int i = 0; i < n; i++) {
            same(ref.apply(a.data()[i], b.data()[i]), out.data()[i], op + " of " + n, i);
        }
        // Aliasing: out is the first input.
        Tensor alias = Tensor.of(a.data().clone(), n);
        run.accept(new Tensor[] {alias, b}, alias);
        afterOp(op);
        assertArrayEquals(out.data(), alias.data(), ctx(op + " in place"));
    }

    interface FloatBinary {
        float apply(float a, float b);
    }

    interface FloatUnary {
        float apply(float a);
    }

    @ParameterizedTest(name = "add/sub/mul n={0}")
    @MethodSource("sizes")
    void addSubMulAreCorrectlyRounded(int n) {
        // One rounding each: the float of the (exact or correctly rounded) double result.
        checkBinary("add", n, (in, out) -> ops().add(in[0], in[1], out), (x, y) -> (float) ((double) x + y));
        checkBinary("sub", n, (in, out) -> ops().sub(in[0], in[1], out), (x, y) -> (float) ((double) x - y));
        checkBinary("mul", n, (in, out) -> ops().mul(in[0], in[1], out), (x, y) -> (float) ((double) x * y));
    }

    @Test
    void addAllocatingMatchesInto() {
        SplittableRandom rng = rng("addAlloc");
        Tensor a = Reference.random(rng, 3, 5), b = Reference.random(rng, 3, 5);
        Tensor sum = ops().add(a, b);
        afterOp("add");
        assertArrayEquals(new int[] {3, 5}, sum.shape());
        for (int i = 0; i < 15; i++) same(a.data()[i] + b.data()[i], sum.data()[i], "add", i);
        Tensor scaled = ops().scale(a, 3f);
        afterOp("scale");
        for (int i = 0; i < 15; i++) same(3f * a.data()[i], scaled.data()[i], "scale", i);
    }

    /** Unary exact ops on random values with specials, into a fresh output and in place. */
    private void checkUnary(String op, int n, BiConsumer<Tensor, Tensor> run, FloatUnary ref) {
        SplittableRandom rng = rng(op, n);
        Tensor a = Reference.withSpecials(rng, n);
        Tensor out = Reference.poisoned(n);
        run.accept(a, out);
        afterOp(op);
        for (int i = 0; i < n; i++) {
            same(ref.apply(a.data()[i]), out.data()[i], op + " of " + n, i);
        }
        Tensor alias = Tensor.of(a.data().clone(), n);
        run.accept(alias, alias);
        afterOp(op);
        assertArrayEquals(out.data(), alias.data(), ctx(op + " in place"));
        assertThrows(IllegalArgumentException.class, () -> run.accept(a, Tensor.zeros(n + 1)));
    }

    @ParameterizedTest(name = "unary n={0}")
    @MethodSource("sizes")
    void unaryOpsAreExact(int n) {
        float s = (float) (rng("scale", n).nextDouble() * 4 - 2);
        checkUnary("scale", n, (a, out) -> ops().scale(a, s, out), x -> (float) ((double) s * x));
        checkUnary("clamp", n, (a, out) -> ops().clamp(a, -0.5f, 2f, out), x -> Math.min(Math.max(x, -0.5f), 2f));
        checkUnary("sign", n, (a, out) -> ops().sign(a, out), Math::signum);
        checkUnary("abs", n, (a, out) -> ops().abs(a, out), Math::abs);
        checkUnary("relu", n, (a, out) -> ops().relu(a, out), x -> Math.max(x, 0f));
        checkUnary("copy", n, (a, out) -> ops().copy(a, out), x -> x);
    }

    @Test
    void clampAndSignOfSpecialValues() {
        float[] v = Reference.SPECIALS;
        Tensor a = Tensor.of(v.clone(), v.length), out = Reference.poisoned(v.length);
        ops().sign(a, out);
        afterOp("sign");
        for (int i = 0; i < v.length; i++) assertSameFloat(Math.signum(v[i]), out.data()[i], ctx("sign of " + v[i]));
        ops().clamp(a, 0f, 0f, out);
        afterOp("clamp");
        for (int i = 0; i < v.length; i++) {
            assertSameFloat(Math.min(Math.max(v[i], 0f), 0f), out.data()[i], ctx("clamp to 0 of " + v[i]));
        }
    }

    @ParameterizedTest(name = "axpy n={0}")
    @MethodSource("sizes")
    void axpyIsOneFma(int n) {
        SplittableRandom rng = rng("axpy", n);
        Tensor x = Reference.withSpecials(rng, n), y = Reference.withSpecials(rng, n);
        float alpha = (float) (rng.nextDouble() * 4 - 2);
        float[] y0 = y.data().clone();
        ops().axpy(alpha, x, y);
        afterOp("axpy");
        for (int i = 0; i < n; i++) {
            same(Math.fma(alpha, x.data()[i], y0[i]), y.data()[i], "axpy", i);
        }
        Tensor self = Tensor.of(x.data().clone(), n);
        ops().axpy(alpha, self, self);
        afterOp("axpy");
        for (int i = 0; i < n; i++) {
            same(Math.fma(alpha, x.data()[i], x.data()[i]), self.data()[i], "axpy x=y", i);
        }
        assertThrows(IllegalArgumentException.class, () -> ops().axpy(1f, x, Tensor.zeros(n + 1)));
    }

    @ParameterizedTest(name = "reluBackward n={0}")
    @MethodSource("sizes")
    void reluBackwardPassesGradientWherePositive(int n) {
        SplittableRandom rng = rng("reluBackward", n);
        Tensor x = Reference.withSpecials(rng, n), g = Reference.withSpecials(rng, n);
        Tensor out = Reference.poisoned(n);
        ops().reluBackward(x, g, out);
        afterOp("reluBackward");
        for (int i = 0; i < n; i++) {
            same(x.data()[i] > 0 ? g.data()[i] : 0f, out.data()[i], "reluBackward", i);
        }
        Tensor alias = Tensor.of(g.data().clone(), n);
        ops().reluBackward(x, alias, alias);
        afterOp("reluBackward");
        assertArrayEquals(out.data(), alias.data(), ctx("reluBackward in place"));
        assertThrows(IllegalArgumentException.class, () -> ops().reluBackward(x, Tensor.zeros(n + 1), out));
    }

    @ParameterizedTest(name = "fill n={0}")
    @MethodSource("sizes")
    void fillWritesEveryElement(int n) {
        for (float v : new float[] {0f, -0f, 2.5f, Float.NaN}) {
            Tensor out = Reference.poisoned(n);
            if (Float.isNaN(v)) Arrays.fill(out.data(), 1f);
            ops().fill(out, v);
            afterOp("fill");
            for (int i = 0; i < n; i++) same(v, out.data()[i], "fill", i);
        }
    }

    @ParameterizedTest(name = "gelu n={0}")
    @MethodSource("sizes")
    void geluAndItsGradientMatchFloat64(int n) {
        SplittableRandom rng = rng("gelu", n);
        Tensor x = Reference.randomIn(rng, -8, 8, n), g = Reference.random(rng, n);
        Tensor out = Reference.poisoned(n), grad = Reference.poisoned(n);
        ops().gelu(x, out);
        afterOp("gelu");
        ops().geluBackward(x, g, grad);
        afterOp("geluBackward");
        for (int i = 0; i < n; i++) {
            double a = x.data()[i], ref = Reference.gelu(a), dref = g.data()[i] * Reference.geluDerivative(a);
            close(ref, out.data()[i], 1e-6 * Math.max(1, Math.abs(ref)), "gelu", i);
            close(dref, grad.data()[i], 1e-5 * Math.max(1, Math.abs(dref)), "geluBackward", i);
        }
        Tensor alias = Tensor.of(x.data().clone(), n);
        ops().gelu(alias, alias);
        afterOp("gelu");
        assertArrayEquals(out.data(), alias.data(), ctx("gelu in place"));
        Tensor galias = Tensor.of(g.data().clone(), n);
        ops().geluBackward(x, galias, galias);
        afterOp("geluBackward");
        assertArrayEquals(grad.data(), galias.data(), ctx("geluBackward in place"));
    }

    // ================================================================ casts (exact)

    @ParameterizedTest(name = "encodeHalf n={0}")
    @MethodSource("sizes")
    void encodeHalfRoundsToNearestEven(int n) {
        SplittableRandom rng = rng("encodeHalf", n);
        Tensor anyBits = Reference.withSpecials(rng, n);
        for (int i = 0; i < n; i += 3) anyBits.data()[i] = Float.intBitsToFloat(rng.nextInt()); // any exponent
        // Normal halves only in the first half (an encoder's fast path sees whole runs of them),
        // then a special value once in ~1000 elements (some runs must fall back), the edges of the
        // normal range included.
        Tensor fewSpecials = Reference.randomIn(rng, -65000, 65000, n);
        float[] edges = {0x1p-14f, -0x1p-14f, Math.nextDown(0x1p-14f), 65504f, Math.nextDown(65520f), 65520f, -65520f};
        for (int i = 0; i < n; i++) {
            int r = i < n / 2 ? 1000 : rng.nextInt(1000);
            if (r == 0) fewSpecials.data()[i] = Float.intBitsToFloat(rng.nextInt());
            else if (r == 1) fewSpecials.data()[i] = edges[rng.nextInt(edges.length)];
            else fewSpecials.data()[i] = Math.scalb(fewSpecials.data()[i], -rng.nextInt(i < n / 2 ? 16 : 26));
        }
        for (Tensor a : new Tensor[] {anyBits, fewSpecials}) encodesEveryElement(a, n);
        assertThrows(IllegalArgumentException.class, () -> ops().encodeHalf(anyBits, HalfType.F16, new short[n], 1));
        assertThrows(IllegalArgumentException.class, () -> ops().encodeHalf(anyBits, HalfType.BF16, new short[n + 1], -1));
    }

    private void encodesEveryElement(Tensor a, int n) {
        for (HalfType type : HalfType.values()) {
            int offset = 5;
            short[] out = new short[n + offset + 3];
            Arrays.fill(out, (short) 0x5a5a);
            ops().encodeHalf(a, type, out, offset);
            afterOp("encodeHalf");
            for (int i = 0; i < n; i++) {
                float v = a.data()[i];
                int got = out[offset + i] & 0xffff;
                // Exact: the bits HalfFloats gives (which its own test checks against a float64 rounding).
                int expect = (type == HalfType.F16 ? HalfFloats.floatToHalf(v) : HalfFloats.floatToBf16(v)) & 0xffff;
                if (got != expect) fail(ctx(type + " of " + v + " element " + i + ": expected 0x"
                        + Integer.toHexString(expect) + ", got 0x" + Integer.toHexString(got)));
                if (!Float.isNaN(v)) {
                    int ref = type == HalfType.F16 ? Reference.roundToF16(v) : Reference.roundToBf16(v);
                    if (ref != got) assertEquals(ref, got, ctx(type + " of " + v + " against the float64 rounding"));
                }
            }
            for (int i = 0; i < offset; i++) assertEquals((short) 0x5a5a, out[i], ctx("written before the offset"));
            for (int i = n + offset; i < out.length; i++) assertEquals((short) 0x5a5a, out[i], ctx("written past the end"));
        }
    }

    @Test
    void decodeHalfOfEveryValue() {
        int n = 1 << 16;
        short[] in = new short[n + 2];
        for (int h = 0; h < n; h++) in[h + 2] = (short) h;
        for (HalfType type : HalfType.values()) {
            Tensor out = Reference.poisoned(n);
            ops().decodeHalf(in, 2, type, out);
            afterOp("decodeHalf");
            for (int h = 0; h < n; h++) {
                double value = type == HalfType.F16 ? Reference.f16Value(h) : Reference.bf16Value(h);
                float got = out.data()[h];
                if (Double.isNaN(value)) {
                    check(Float.isNaN(got), type + " NaN decodes to NaN, half bits", h);
                } else {
                    check(value == got && Double.doubleToRawLongBits(value) < 0 == Float.floatToRawIntBits(got) < 0,
                            type + " decodes to " + value + ", half bits", h);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ops().decodeHalf(new short[10], 1, HalfType.F16, Tensor.zeros(10)));
    }

    @ParameterizedTest(name = "half round trip n={0}")
    @MethodSource("sizes")
    void halfRoundTripOfRepresentableValues(int n) {
        SplittableRandom rng = rng("halfRoundTrip", n);
        for (HalfType type : HalfType.values()) {
            short[] bits = new short[n];
            for (int i = 0; i < n; i++) {
                bits[i] = (short) rng.nextInt(1 << 16);
                boolean nan = type == HalfType.F16 ? (bits[i] & 0x7c00) == 0x7c00 && (bits[i] & 0x3ff) != 0
                        : (bits[i] & 0x7f80) == 0x7f80 && (bits[i] & 0x7f) != 0;
                if (nan) bits[i] = 0;
            }
            Tensor f = Reference.poisoned(n);
            ops().decodeHalf(bits, 0, type, f);
            afterOp("decodeHalf");
            short[] back = new short[n];
            ops().encodeHalf(f, type, back, 0);
            afterOp("encodeHalf");
            assertArrayEquals(bits, back, ctx(type + " round trip"));
        }
    }

    // ================================================================ reductions

    @ParameterizedTest(name = "sum n={0}")
    @MethodSource("sizes")
    void sumsMatchFloat64Reference(int n) {
        SplittableRandom rng = rng("sum", n);
        Tensor a = Reference.random(rng, n), b = Reference.random(rng, n);
        double sum = 0, abs = 0, sq = 0, dot = 0, absDot = 0, sqB = 0;
        for (int i = 0; i < n; i++) {
            double x = a.data()[i], y = b.data()[i];
            sum += x;
            abs += Math.abs(x);
            sq += x * x;
            sqB += y * y;
            dot += x * y;
            absDot += Math.abs(x * y);
        }
        // Float32 accumulation per block: the error is bounded relative to the sum of magnitudes.
        assertEquals(sum, ops().sum(a), 1e-5 * abs + 1e-6, ctx("sum of " + n));
        afterOp("sum");
        assertEquals(sum / n, ops().mean(a), (1e-5 * abs + 1e-6) / n, ctx("mean of " + n));
        afterOp("mean");
        assertEquals(abs, ops().norm1(a), 1e-5 * abs + 1e-6, ctx("norm1 of " + n));
        afterOp("norm1");
        assertEquals(Math.sqrt(sq), ops().norm2(a), 1e-5 * Math.sqrt(sq) + 1e-6, ctx("norm2 of " + n));
        afterOp("norm2");
        assertEquals(dot, ops().dot(a, b), 1e-5 * absDot + 1e-6, ctx("dot of " + n));
        afterOp("dot");
        double cos = dot / Math.sqrt(sq * sqB);
        assertEquals(cos, ops().cosine(a, b), 1e-5 * absDot / Math.sqrt(sq * sqB) + 1e-6, ctx("cosine of " + n));
        afterOp("cosine");
        assertThrows(IllegalArgumentException.class, () -> ops().dot(a, Tensor.zeros(n + 1)));
    }

    @Test
    void reductionEdgeCases() {
        Tensor empty = Tensor.zeros(0);
        assertEquals(0.0, ops().sum(empty), ctx("sum of nothing"));
        assertTrue(Double.isNaN(ops().mean(empty)), ctx("mean of nothing"));
        assertEquals(Float.NEGATIVE_INFINITY, ops().max(empty), ctx("max of nothing"));
        Tensor zeros = Tensor.zeros(5000);
        assertEquals(0.0, ops().cosine(zeros, Reference.random(rng("cos"), 5000)), ctx("cosine with a zero vector"));
        // Squares of 1e20 overflow float: the norm must not.
        Tensor big = Tensor.of(new float[] {1e20f, -1e20f, 1e20f, 1e20f}, 4);
        assertEquals(2e20, ops().norm2(big), 1e14, ctx("norm2 of large values"));
        afterOp("reductions");
    }

    /** Overflowing float squares, ∞ and NaN deep inside a tensor of several blocks, not only in a short one. */
    @Test
    void norm2OfLongTensorsWithHugeValues() {
        SplittableRandom rng = rng("norm2 huge");
        int n = 3 * 65_536 + 777;
        Tensor a = Reference.random(rng, n);
        float[] x = a.data();
        for (int k = 0; k < 5; k++) x[rng.nextInt(n)] = (rng.nextBoolean() ? 1 : -1) * (float) (1e19 + rng.nextDouble() * 1e20);
        double sq = 0;
        for (float v : x) sq += (double) v * v;
        assertEquals(Math.sqrt(sq), ops().norm2(a), 1e-5 * Math.sqrt(sq), ctx("norm2 with squares above float's range"));
        int at = rng.nextInt(n);
        x[at] = Float.POSITIVE_INFINITY;
        assertEquals(Double.POSITIVE_INFINITY, ops().norm2(a), ctx("norm2 with ∞ at " + at));
        x[rng.nextInt(n)] = Float.NaN;
        assertTrue(Double.isNaN(ops().norm2(a)), ctx("norm2 with a NaN"));
        afterOp("norm2");
    }

    @ParameterizedTest(name = "max n={0}")
    @MethodSource("sizes")
    void maxIsExact(int n) {
        SplittableRandom rng = rng("max", n);
        Tensor a = Reference.randomIn(rng, -1e6, 1e6, n);
        float ref = Float.NEGATIVE_INFINITY;
        for (float v : a.data()) ref = Math.max(ref, v);
        assertSameFloat(ref, ops().max(a), ctx("max of " + n));
        int at = rng.nextInt(n);
        a.data()[at] = Float.NaN;
        assertTrue(Float.isNaN(ops().max(a)), ctx("max with a NaN at " + at));
        Arrays.fill(a.data(), -0f);
        a.data()[at] = 0f;
        assertSameFloat(0f, ops().max(a), ctx("max of −0s and one +0"));
        afterOp("max");
    }

    @ParameterizedTest(name = "argmaxRows rows={0} cols={1}")
    @MethodSource("rowShapes")
    void argmaxRowsTakesTheFirstLargest(int rows, int cols) {
        SplittableRandom rng = rng("argmax", rows, cols);
        // NaN now and then (column 0 included): a strict '>' scan never moves to one, on every backend.
        Tensor nans = Reference.random(rng, rows, cols);
        for (int i = 0; i < nans.size(); i++) if (rng.nextInt(5) == 0) nans.data()[i] = Float.NaN;
        for (Tensor a : new Tensor[] {Reference.random(rng, rows, cols), Reference.integers(rng, 3, rows, cols), nans}) {
            int[] out = new int[rows];
            Arrays.fill(out, -7);
            ops().argmaxRows(a, out);
            afterOp("argmaxRows");
            for (int r = 0; r < rows; r++) {
                int best = 0;
                for (int c = 1; c < cols; c++) if (a.data()[r * cols + c] > a.data()[r * cols + best]) best = c;
                assertEquals(best, out[r], ctx("argmax of row " + r));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ops().argmaxRows(Tensor.zeros(rows, cols), new int[rows + 1]));
    }

    @ParameterizedTest(name = "softmax rows={0} cols={1}")
    @MethodSource("rowShapes")
    void softmaxRowsMatchesFloat64(int rows, int cols) {
        SplittableRandom rng = rng("softmax", rows, cols);
        for (double range : new double[] {3, 1000}) {
            Tensor a = Reference.randomIn(rng, -range, range, rows, cols);
            Tensor out = Reference.poisoned(rows, cols);
            ops().softmaxRows(a, out);
            afterOp("softmaxRows");
            for (int r = 0; r < rows; r++) {
                double[] ref = Reference.softmax(a.data(), r * cols, cols);
                for (int c = 0; c < cols; c++) {
                    close(ref[c], out.data()[r * cols + c], softmaxTolerance(ref[c], range), "softmax range " + range,
                            (long) r * cols + c);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ops().softmaxRows(Tensor.zeros(rows, cols), Tensor.zeros(rows, cols + 1)));
    }

    @ParameterizedTest(name = "softmaxCrossEntropy rows={0} cols={1}")
    @MethodSource("rowShapes")
    void softmaxCrossEntropyLossAndGradient(int rows, int cols) {
        SplittableRandom rng = rng("softmaxCE", rows, cols);
        for (double range : new double[] {4, 1000}) {
            Tensor logits = Reference.randomIn(rng, -range, range, rows, cols);
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) labels[r] = rng.nextInt(cols);
            Tensor grad = Reference.poisoned(rows, cols);
            double loss = ops().softmaxCrossEntropy(logits, labels, grad);
            afterOp("softmaxCrossEntropy");
            double ref = 0;
            for (int r = 0; r < rows; r++) ref += Reference.crossEntropy(logits.data(), r * cols, cols, labels[r]);
            ref /= rows;
            assertTrue(Double.isFinite(loss), ctx("loss finite at range " + range));
            assertEquals(ref, loss, 1e-6 * Math.max(1, Math.abs(ref)), ctx("loss, range " + range));
            // p − onehot and the division by rows each round once more in float32: a few ulps of g.
            for (int r = 0; r < rows; r++) {
                double[] p = Reference.softmax(logits.data(), r * cols, cols);
                for (int c = 0; c < cols; c++) {
                    double g = (p[c] - (c == labels[r] ? 1 : 0)) / rows;
                    close(g, grad.data()[r * cols + c], (softmaxTolerance(p[c], range) + 0x1p-23) / rows + 4 * Math.ulp((float) g),
                            "CE gradient range " + range, (long) r * cols + c);
                }
            }
            assertEquals(loss, ops().softmaxCrossEntropy(logits, labels, null), 0.0, ctx("loss without gradient"));
            afterOp("softmaxCrossEntropy");
        }
    }

    @Test
    void softmaxCrossEntropyRejectsBadLabelsBeforeWriting() {
        Tensor logits = Reference.random(rng("ceLabels"), 4, 3);
        Tensor grad = Reference.poisoned(4, 3);
        assertThrows(IllegalArgumentException.class, () -> ops().softmaxCrossEntropy(logits, new int[] {0, 1, 3, 0}, grad));
        assertThrows(IllegalArgumentException.class, () -> ops().softmaxCrossEntropy(logits, new int[] {0, -1, 2, 0}, grad));
        assertThrows(IllegalArgumentException.class, () -> ops().softmaxCrossEntropy(logits, new int[] {0, 1, 2}, grad));
        assertThrows(IllegalArgumentException.class,
                () -> ops().softmaxCrossEntropy(logits, new int[] {0, 1, 2, 0}, Tensor.zeros(4, 4)));
        for (float v : grad.data()) assertTrue(Float.isNaN(v), ctx("gradient written before the labels were checked"));
    }

    // ================================================================ optimizers

    @ParameterizedTest(name = "sgd nesterov={0}")
    @ValueSource(booleans = {false, true})
    void sgdMomentumFollowsPyTorch(boolean nesterov) {
        for (int n : new int[] {1, 7, 100_003}) {
            SplittableRandom rng = rng("sgd", n, nesterov ? 1 : 0);
            Tensor p = Reference.random(rng, n), v = Tensor.zeros(n);
            double[] rp = toDouble(p.data()), rv = new double[n];
            float lr = 0.05f, mu = 0.9f, wd = n == 7 ? 0f : 1e-2f;
            for (int step = 0; step < 5; step++) {
                Tensor g = Reference.random(rng, n);
                ops().sgdMomentum(p, g, v, lr, mu, wd, nesterov);
                afterOp("sgdMomentum");
                Reference.sgdStep(rp, g.data(), rv, lr, mu, wd, nesterov);
            }
            for (int i = 0; i < n; i++) {
                close(rp[i], p.data()[i], 1e-5 * (1 + Math.abs(rp[i])), "sgd param", i);
                close(rv[i], v.data()[i], 1e-5 * (1 + Math.abs(rv[i])), "sgd velocity", i);
            }
        }
        Tensor t = Tensor.zeros(3);
        assertThrows(IllegalArgumentException.class, () -> ops().sgdMomentum(t, Tensor.zeros(4), Tensor.zeros(3), 1f, 0f, 0f, false));
    }

    @ParameterizedTest(name = "adamW weightDecay={0}")
    @ValueSource(floats = {0f, 0.01f})
    void adamWFollowsPyTorch(float wd) {
        for (int n : new int[] {1, 9, 100_003}) {
            SplittableRandom rng = rng("adam", n, Float.floatToIntBits(wd));
            Tensor p = Reference.random(rng, n), m = Tensor.zeros(n), v = Tensor.zeros(n);
            double[] rp = toDouble(p.data()), rm = new double[n], rv = new double[n];
            float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
            for (int step = 1; step <= 6; step++) {
                Tensor g = Reference.random(rng, n);
                ops().adamW(p, g, m, v, lr, b1, b2, eps, wd, step);
                afterOp("adamW");
                Reference.adamWStep(rp, g.data(), rm, rv, lr, b1, b2, eps, wd, step);
            }
            for (int i = 0; i < n; i++) {
                close(rp[i], p.data()[i], 1e-5 * (1 + Math.abs(rp[i])), "adamW param", i);
                close(rm[i], m.data()[i], 1e-6 + 1e-5 * Math.abs(rm[i]), "adamW m", i);
                close(rv[i], v.data()[i], 1e-9 + 1e-5 * Math.abs(rv[i]), "adamW v", i);
            }
        }
        Tensor t = Tensor.zeros(3);
        assertThrows(IllegalArgumentException.class,
                () -> ops().adamW(t, Tensor.zeros(3), Tensor.zeros(3), Tensor.zeros(2), 1f, 0.9f, 0.99f, 1e-8f, 0f, 1));
        assertThrows(IllegalArgumentException.class,
                () -> ops().adamW(t, Tensor.zeros(3), Tensor.zeros(3), Tensor.zeros(3), 1f, 0.9f, 0.99f, 1e-8f, 0f, 0));
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    // ================================================================ merging

    @ParameterizedTest(name = "topkThreshold n={0}")
    @MethodSource("sizes")
    void topkThresholdIsTheKthLargestMagnitude(int n) {
        SplittableRandom rng = rng("topk", n);
        // The fourth input grows in magnitude, so the top ranks sit in the last elements: the
        // scalar tails after the vector loops decide them.
        Tensor growing = Tensor.zeros(n);
        for (int i = 0; i < n; i++) growing.data()[i] = (rng.nextBoolean() ? 1f : -1f) * (1f + i * 0x1p-8f);
        Tensor[] inputs = {Reference.random(rng, n), Reference.integers(rng, 5, n), Reference.randomIn(rng, -1e-40, 1e-40, n), growing};
        inputs[0].data()[rng.nextInt(n)] = -0f;
        inputs[0].data()[rng.nextInt(n)] = Float.NEGATIVE_INFINITY;
        for (Tensor a : inputs) {
            for (long k : new long[] {0, 1, 2, n / 10, n / 2, n - 1, n, n + 5L}) {
                if (k < 0) continue;
                float got = ops().topkThreshold(a, k);
                afterOp("topkThreshold");
                assertSameFloat(Reference.kthLargestMagnitude(a.data(), k), got, ctx("top-" + k + " of " + n));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ops().topkThreshold(Tensor.zeros(3), -1));
    }

    @ParameterizedTest(name = "maskAtLeast n={0}")
    @MethodSource("sizes")
    void maskAtLeastComparesMagnitudes(int n) {
        SplittableRandom rng = rng("mask", n);
        Tensor a = Reference.withSpecials(rng, n);
        float t = Math.abs(a.data()[rng.nextInt(n)]); // some elements equal it exactly
        if (Float.isNaN(t)) t = 0.5f;
        for (float threshold : new float[] {t, 0f, Float.POSITIVE_INFINITY}) {
            Tensor mask = Reference.poisoned(n);
            ops().maskAtLeast(a, threshold, mask);
            afterOp("maskAtLeast");
            for (int i = 0; i < n; i++) {
                same(Math.abs(a.data()[i]) >= threshold ? 1f : 0f, mask.data()[i], "mask at " + threshold, i);
            }
        }
        Tensor alias = Tensor.of(a.data().clone(), n);
        ops().maskAtLeast(alias, t, alias);
        afterOp("maskAtLeast");
        for (int i = 0; i < n; i++) same(Math.abs(a.data()[i]) >= t ? 1f : 0f, alias.data()[i], "mask in place", i);
    }

    static Stream<Arguments> mergeShapes() {
        List<Arguments> args = new ArrayList<>();
        for (int k : new int[] {1, 2, 3, 4, 5, 9})
            for (int n : new int[] {1, 7, 4097, 100_003}) args.add(Arguments.of(k, n));
        return args.stream();
    }

    private static Tensor[] taskVectors(SplittableRandom rng, int k, int n, boolean integers) {
        Tensor[] xs = new Tensor[k];
        for (int i = 0; i < k; i++) xs[i] = integers ? Reference.integers(rng, 2, n) : Reference.random(rng, n);
        return xs;
    }

    @ParameterizedTest(name = "electSign K={0} n={1}")
    @MethodSource("mergeShapes")
    void electSignBySumAndByCount(int k, int n) {
        SplittableRandom rng = rng("elect", k, n);
        for (boolean integers : new boolean[] {false, true}) {
            Tensor[] xs = taskVectors(rng, k, n, integers);
            Tensor bySum = Reference.poisoned(n), byCount = Reference.poisoned(n);
            ops().electSign(xs, SignElection.SUM, bySum);
            afterOp("electSign");
            ops().electSign(xs, SignElection.COUNT, byCount);
            afterOp("electSign");
            double[] sum = Reference.sumOver(xs, n), votes = Reference.votes(xs, n);
            for (int i = 0; i < n; i++) {
                double abs = 0;
                for (Tensor x : xs) abs += Math.abs(x.data()[i]);
                same((float) Math.signum(votes[i]) + 0f, byCount.data()[i], "COUNT election", i);
                float s = bySum.data()[i];
                check(s == 1f || s == -1f || Float.floatToRawIntBits(s) == 0, "SUM election writes ±1 or +0, got " + s, i);
                // Integers sum exactly in float; otherwise the sign is trusted away from zero only.
                if (integers || Math.abs(sum[i]) > 1e-5 * abs) {
                    same((float) Math.signum(sum[i]) + 0f, s, "SUM election", i);
                }
            }
        }
        Tensor out = Tensor.zeros(n);
        assertThrows(IllegalArgumentException.class, () -> ops().electSign(new Tensor[0], SignElection.SUM, out));
        assertThrows(IllegalArgumentException.class,
                () -> ops().electSign(new Tensor[] {Tensor.zeros(n), Tensor.zeros(n + 1)}, SignElection.SUM, out));
    }

    @ParameterizedTest(name = "disjointMerge K={0} n={1}")
    @MethodSource("mergeShapes")
    void disjointMergeOfAgreeingValues(int k, int n) {
        SplittableRandom rng = rng("disjoint", k, n);
        for (boolean integers : new boolean[] {false, true}) {
            Tensor[] xs = taskVectors(rng, k, n, integers);
            Tensor sign = Reference.integers(rng, 1, n); // −1, 0, +1
            if (!integers) for (int i = 0; i < n; i++) sign.data()[i] *= 0.25f + rng.nextFloat(); // any magnitude
            for (boolean mean : new boolean[] {false, true}) {
                Tensor out = Reference.poisoned(n);
                ops().disjointMerge(xs, sign, mean, out);
                afterOp("disjointMerge");
                double[][] ref = Reference.disjointMerge(xs, sign.data(), mean);
                for (int i = 0; i < n; i++) {
                    if (ref[1][i] == 0) same(0f, out.data()[i], "nothing agrees", i);
                    else close(ref[0][i], out.data()[i], 1e-6 * ref[2][i], mean ? "mean" : "sum", i);
                }
            }
        }
        Tensor out = Tensor.zeros(n);
        Tensor[] xs = {Tensor.zeros(n), out};
        assertThrows(IllegalArgumentException.class, () -> ops().disjointMerge(xs, Tensor.zeros(n), true, out));
        assertThrows(IllegalArgumentException.class,
                () -> ops().disjointMerge(new Tensor[] {Tensor.zeros(n)}, Tensor.zeros(n + 1), true, out));
    }

    @ParameterizedTest(name = "dropAndRescale n={0}")
    @MethodSource("sizes")
    void dropAndRescaleDropsByPhilox(int n) {
        SplittableRandom rng = rng("dare", n);
        Tensor a = Reference.withSpecials(rng, n);
        long seed = rng.nextLong(), stream = rng.nextLong();
        for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f, 1f, 0x1p-25f}) {
            Tensor out = Reference.poisoned(n);
            ops().dropAndRescale(a, p, seed, stream, out);
            afterOp("dropAndRescale");
            int kept = checkDropped(a, p, seed, stream, 0, out, "drop p=" + p);
            if (n >= 100_000) {
                assertEquals(1 - p, kept / (double) n, 0.01, ctx("kept fraction at p=" + p));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ops().dropAndRescale(a, 1.5f, 1, 2, Tensor.zeros(n)));
        assertThrows(IllegalArgumentException.class, () -> ops().dropAndRescale(a, Float.NaN, 1, 2, Tensor.zeros(n)));
    }

    /** Checks out against DARE's formula with Philox draws offset + i; returns how many were kept. */
    private int checkDropped(Tensor a, float p, long seed, long stream, long offset, Tensor out, String what) {
        long threshold = Math.round(p * 16777216.0);
        float scale = 1f / (1f - p);
        int kept = 0;
        for (int i = 0; i < a.size(); i++) {
            boolean keep = (Philox.bits(seed, stream, offset + i) >>> 8) >= threshold;
            if (keep) kept++;
            same(keep ? a.data()[i] * scale : 0f, out.data()[i], what, i);
        }
        return kept;
    }

    interface PieceCheck {
        void check(int from, int len, String where);
    }

    /**
     * Cuts [0, n) into random pieces three times — on the 16-element grid, on the 4-element grid and
     * anywhere: every kind of draw offset — and checks each piece.
     */
    private static void forEachPiece(SplittableRandom rng, int n, PieceCheck check) {
        for (int grid : new int[] {16, 4, 1}) {
            int from = 0;
            while (from < n) {
                int len = Math.min(n - from, grid * (1 + rng.nextInt(Math.max(1, n / (3 * grid)))) + (grid == 1 ? rng.nextInt(3) : 0));
                check.check(from, len, "piece at " + from + " grid " + grid);
                from += len;
            }
        }
    }

    @ParameterizedTest(name = "dropAndRescale in pieces n={0}")
    @MethodSource("sizes")
    void dropAndRescaleInPiecesEqualsWhole(int n) {
        SplittableRandom rng = rng("dare pieces", n);
        Tensor a = Reference.withSpecials(rng, n);
        long seed = rng.nextLong(), stream = rng.nextLong();
        float p = (float) rng.nextDouble();
        Tensor whole = Reference.poisoned(n);
        ops().dropAndRescale(a, p, seed, stream, whole);
        forEachPiece(rng, n, (from, len, where) -> {
            Tensor piece = Tensor.of(java.util.Arrays.copyOfRange(a.data(), from, from + len), len);
            Tensor out = Reference.poisoned(len);
            ops().dropAndRescale(piece, p, seed, stream, from, out);
            afterOp("dropAndRescale");
            for (int i = 0; i < len; i++) same(whole.data()[from + i], out.data()[i], where, from + i);
        });
        // Far offsets (block counters past 2^31) against the single-draw reference.
        long far = (1L << 34) - n - rng.nextInt(64);
        Tensor out = Reference.poisoned(n);
        ops().dropAndRescale(a, p, seed, stream, far, out);
        checkDropped(a, p, seed, stream, far, out, "drop at offset " + far);
        assertThrows(IllegalArgumentException.class, () -> ops().dropAndRescale(a, p, seed, stream, -1, Tensor.zeros(n)));
        assertThrows(IllegalArgumentException.class, () -> ops().dropAndRescale(a, p, seed, stream, (1L << 34) - n + 1, Tensor.zeros(n)));
    }

    @ParameterizedTest(name = "slerp n={0}")
    @MethodSource("sizes")
    void slerpMatchesFloat64(int n) {
        SplittableRandom rng = rng("slerp", n);
        Tensor a = Reference.random(rng, n), b = Reference.random(rng, n);
        Tensor twiceA = Tensor.of(a.data().clone(), n);
        for (int i = 0; i < n; i++) twiceA.data()[i] *= -2;
        // Nearly antiparallel (cos θ ≈ −0.999): large, ill-conditioned weights that a float32 cos θ gets wrong.
        Tensor nearlyOpposite = Tensor.of(new float[n], n);
        for (int i = 0; i < n; i++) nearlyOpposite.data()[i] = (float) (-a.data()[i] + 0.04 * b.data()[i]);
        for (Tensor other : new Tensor[] {b, twiceA, nearlyOpposite, Tensor.zeros(n)}) {
            for (float t : new float[] {0f, 0.3f, 0.5f, 1f}) {
                Tensor out = Reference.poisoned(n);
                ops().slerp(a, other, t, out);
                afterOp("slerp");
                double[] ref = Reference.slerp(a.data(), other.data(), t);
                double err = Reference.relativeError(out.data(), ref, ctx("slerp t=" + t));
                assertTrue(err < 1e-5, ctx("slerp t=" + t + " relative error " + err));
            }
        }
        Tensor alias = Tensor.of(a.data().clone(), n);
        Tensor out = Reference.poisoned(n);
        ops().slerp(a, b, 0.3f, out);
        ops().slerp(alias, b, 0.3f, alias);
        afterOp("slerp");
        assertArrayEquals(out.data(), alias.data(), ctx("slerp in place"));
    }

    @ParameterizedTest(name = "rowTopkMask rows={0} cols={1}")
    @MethodSource("rowShapes")
    void rowTopkMaskKeepsTheLargestWithTiesToTheLeft(int rows, int cols) {
        SplittableRandom rng = rng("rowTopk", rows, cols);
        for (Tensor a : new Tensor[] {Reference.random(rng, rows, cols), Reference.integers(rng, 2, rows, cols)}) {
            for (int k : new int[] {0, 1, 2, cols / 3, cols - 1, cols, cols + 1}) {
                if (k < 0) continue;
                Tensor mask = Reference.poisoned(rows, cols);
                ops().rowTopkMask(a, k, mask);
                afterOp("rowTopkMask");
                float[] ref = Reference.rowTopkMask(a.data(), rows, cols, k);
                for (int i = 0; i < ref.length; i++) {
                    same(ref[i], mask.data()[i], "top-" + k + " mask of " + cols + " columns", i);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ops().rowTopkMask(Tensor.zeros(2, 3), -1, Tensor.zeros(2, 3)));
        assertThrows(IllegalArgumentException.class, () -> ops().rowTopkMask(Tensor.zeros(2, 3), 1, Tensor.zeros(3, 2)));
    }

    // ================================================================ random (exact)

    @ParameterizedTest(name = "uniform n={0}")
    @MethodSource("sizes")
    void uniformIsPhiloxDrawI(int n) {
        SplittableRandom rng = rng("uniform", n);
        long seed = rng.nextLong(), stream = rng.nextLong();
        float lo = (float) (rng.nextDouble() * 2 - 1), hi = lo + 0.5f + (float) rng.nextDouble();
        Tensor out = Reference.poisoned(n);
        ops().uniform(seed, stream, lo, hi, out);
        afterOp("uniform");
        for (int i = 0; i < n; i++) {
            float expect = Philox.toUniform(Philox.bits(seed, stream, i), lo, hi);
            same(expect, out.data()[i], "uniform", i);
            check(out.data()[i] >= lo && out.data()[i] < hi, "uniform in range", i);
        }
        assertThrows(IllegalArgumentException.class, () -> ops().uniform(1, 2, 1f, 1f, Tensor.zeros(3)));
    }

    @ParameterizedTest(name = "uniform in pieces n={0}")
    @MethodSource("sizes")
    void uniformInPiecesEqualsWhole(int n) {
        SplittableRandom rng = rng("uniform pieces", n);
        long seed = rng.nextLong(), stream = rng.nextLong();
        float lo = (float) (rng.nextDouble() * 2 - 1), hi = lo + 0.5f + (float) rng.nextDouble();
        Tensor whole = Reference.poisoned(n);
        ops().uniform(seed, stream, lo, hi, whole);
        forEachPiece(rng, n, (from, len, where) -> {
            Tensor out = Reference.poisoned(len);
            ops().uniform(seed, stream, from, lo, hi, out);
            afterOp("uniform");
            for (int i = 0; i < len; i++) same(whole.data()[from + i], out.data()[i], where, from + i);
        });
        // Far offsets (block counters past 2^31) against the single-draw reference.
        long far = (1L << 34) - n - rng.nextInt(64);
        Tensor out = Reference.poisoned(n);
        ops().uniform(seed, stream, far, lo, hi, out);
        afterOp("uniform");
        for (int i = 0; i < n; i++) same(Philox.toUniform(Philox.bits(seed, stream, far + i), lo, hi), out.data()[i], "uniform at offset " + far, i);
        assertThrows(IllegalArgumentException.class, () -> ops().uniform(seed, stream, -1, lo, hi, Tensor.zeros(n)));
        assertThrows(IllegalArgumentException.class, () -> ops().uniform(seed, stream, (1L << 34) - n + 1, lo, hi, Tensor.zeros(n)));
    }

    @Test
    void uniformPassesChiSquare() {
        int n = 1_000_000, bins = 100;
        Tensor out = Reference.poisoned(n);
        ops().uniform(SEED, Philox.stream("contract", "uniform"), 0f, 1f, out);
        afterOp("uniform");
        long[] count = new long[bins];
        for (float v : out.data()) {
            if (!(v >= 0f && v < 1f)) fail(ctx("value " + v + " outside [0,1)"));
            count[(int) (v * bins)]++;
        }
        double expected = (double) n / bins, chi2 = 0;
        for (long c : count) chi2 += (c - expected) * (c - expected) / expected;
        // 99 degrees of freedom: P(chi2 > 160) < 1e-4.
        assertTrue(chi2 < 160, ctx("chi-square " + chi2));
    }

    @ParameterizedTest(name = "normal n={0}")
    @MethodSource("sizes")
    void normalIsPhiloxBoxMuller(int n) {
        SplittableRandom rng = rng("normal", n);
        long seed = rng.nextLong(), stream = rng.nextLong();
        Tensor out = Reference.poisoned(n);
        ops().normal(seed, stream, 0.25f, 2f, out);
        afterOp("normal");
        for (int i = 0; i < n; i++) {
            same(Philox.normal(seed, stream, i, 0.25f, 2f), out.data()[i], "normal", i);
        }
        if (n >= 1_000_000) {
            double mean = 0, sq = 0;
            for (float v : out.data()) {
                mean += v;
                sq += (double) v * v;
            }
            mean /= n;
            assertEquals(0.25, mean, 0.012, ctx("normal mean"));
            assertEquals(4.0, sq / n - mean * mean, 0.04, ctx("normal variance"));
        }
    }

    // ================================================================ shapes

    @Test
    void elementwiseShapeErrorsThrowBeforeWriting() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(3, 2), out = Reference.poisoned(2, 3);
        List<Runnable> calls = List.of(() -> ops().add(a, b, out), () -> ops().sub(a, b, out), () -> ops().mul(b, a, out),
                () -> ops().scale(b, 2f, out), () -> ops().clamp(b, 0, 1, out), () -> ops().sign(b, out),
                () -> ops().abs(b, out), () -> ops().relu(b, out), () -> ops().reluBackward(a, b, out),
                () -> ops().gelu(b, out), () -> ops().geluBackward(a, b, out), () -> ops().copy(b, out),
                () -> ops().maskAtLeast(b, 0f, out), () -> ops().slerp(a, b, 0.5f, out),
                () -> ops().dropAndRescale(b, 0.5f, 1, 2, out), () -> ops().softmaxRows(b, out));
        for (int i = 0; i < calls.size(); i++) {
            assertThrows(IllegalArgumentException.class, calls.get(i)::run, ctx("call " + i));
        }
        for (float v : out.data()) assertTrue(Float.isNaN(v), ctx("an output was written by a rejected call"));
    }
}
