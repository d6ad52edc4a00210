package org.mtflow.kernels.aparapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.aparapi.device.OpenCLDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.mtflow.kernels.Reference;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOps.HalfType;
import org.mtflow.kernels.TensorOps.SignElection;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.kernels.random.Philox;

/**
 * Every op of {@link AparapiOps} against float64 references (or, for the exact ops, the Java
 * definition bit for bit) on fresh random inputs: sizes on both sides of each plain-Java threshold,
 * shapes that are not multiples of the tiles and chunks, one-element cases, outputs poisoned with
 * NaN. Each test runs on the CPU kernel shapes and on the GPU shapes (which run, slowly, on PoCL
 * too), and checks that the kernels really ran on OpenCL. A new seed each run, printed;
 * {@code -Dmtflow.test.seed=N} replays one.
 */
class AparapiKernelsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    private static AparapiOps cpu;
    private static AparapiOps gpu;

    @BeforeAll
    static void open() {
        List<OpenCLDevice> devices = OpenCLDevice.listDevices(null);
        assertFalse(devices == null || devices.isEmpty(),
                "no OpenCL device: install PoCL (apt-get install -y pocl-opencl-icd ocl-icd-libopencl1)");
        cpu = new AparapiOps(devices.get(0), false);
        gpu = new AparapiOps(devices.get(0), true);
        System.out.println("AparapiKernelsTest on " + cpu.name() + ", seed " + SEED);
    }

    @AfterAll
    static void close() {
        if (cpu != null) cpu.close();
        if (gpu != null) gpu.close();
    }

    static Stream<Arguments> backends() {
        return Stream.of(Arguments.of("cpu-shapes"), Arguments.of("gpu-shapes"));
    }

    private static AparapiOps ops(String shapes) {
        return shapes.equals("cpu-shapes") ? cpu : gpu;
    }

    private static String ctx(String what) {
        return what + " (seed " + SEED + ", replay with -Dmtflow.test.seed=" + SEED + ")";
    }

    /**
     * Runs {@code op} and checks where it ran: on OpenCL (a launch, no fallback) when {@code work}
     * reaches the threshold, in plain Java (no launch) below it.
     */
    private static void onPath(AparapiOps ops, long work, long threshold, String op, Runnable body) {
        long before = ops.launches();
        body.run();
        assertEquals(0, ops.fallbackLaunches(), op + " fell back to Aparapi's Java threads instead of OpenCL");
        if (work >= threshold) {
            assertTrue(ops.launches() > before, op + " of work " + work + " should have launched a kernel");
        } else {
            assertEquals(before, ops.launches(), op + " of work " + work + " should have stayed in plain Java");
        }
    }

    /** Uniform in [-1, 1) with some exact zeros, ±0, NaN, ±∞ and subnormals mixed in when {@code specials}. */
    private static Tensor randomTensor(SplittableRandom rng, boolean specials, int... shape) {
        Tensor t = Reference.random(rng, shape);
        if (specials) {
            float[] d = t.data();
            float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
                -Float.MIN_VALUE, 1e-40f, -3e-39f, Float.MAX_VALUE, 1f, -1f};
            for (int i = 0; i < d.length; i++) {
                if (rng.nextInt(16) == 0) d[i] = special[rng.nextInt(special.length)];
            }
        }
        return t;
    }

    private static void assertBits(float expected, float actual, String what) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            fail(ctx(what + ": expected " + expected + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected))
                    + ") but was " + actual + " (0x" + Integer.toHexString(Float.floatToRawIntBits(actual)) + ")"));
        }
    }

    /** As {@link #assertBits(float, float, String)} for element {@code index}; the message is built only on failure. */
    private static void assertBits(float expected, float actual, String what, long index) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) assertBits(expected, actual, what + " at " + index);
    }

    /** As {@link #assertClose(double, float, double, String)} for element {@code index}; the message is built only on failure. */
    private static void assertClose(double expected, float actual, double tolerance, String what, long index) {
        if (!(Math.abs(expected - actual) <= tolerance)) assertClose(expected, actual, tolerance, what + " at " + index);
    }

    private static void assertClose(double expected, float actual, double tolerance, String what) {
        if (!(Math.abs(expected - actual) <= tolerance)) {
            fail(ctx(what + ": expected " + expected + " but was " + actual + " (tolerance " + tolerance + ")"));
        }
    }

    // ================================================================ linear algebra

    static Stream<Arguments> matmulCases() {
        // Both sides of MATMUL_MIN; above it, sizes that are not multiples of the tiles, and inner
        // dimensions past the CPU kernel's k-blocks and packing rows (256).
        int[][] shapes = {{1, 1, 1}, {3, 1, 5}, {2, 1000, 3}, {5, 3, 513}, {33, 17, 1025}, {64, 64, 64},
            {127, 200, 130}, {129, 65, 67}, {41, 41, 41}, {17, 600, 40}, {9, 520, 300}};
        List<Arguments> cases = new ArrayList<>();
        for (String b : new String[] {"cpu-shapes", "gpu-shapes"}) {
            for (int[] s : shapes) {
                for (int t = 0; t < 4; t++) cases.add(Arguments.of(b, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} matmul {1}x{2}x{3} tA={4} tB={5}")
    @MethodSource("matmulCases")
    void matmulAllTransposes(String shapes, int m, int k, int n, boolean ta, boolean tb) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED ^ (m * 31L + k * 7L + n) ^ (ta ? 1 : 0) ^ (tb ? 2 : 0));
        Tensor a = ta ? Reference.random(rng, k, m) : Reference.random(rng, m, k);
        Tensor b = tb ? Reference.random(rng, n, k) : Reference.random(rng, k, n);
        Tensor out = Reference.poisoned(m, n);
        onPath(ops, (long) m * n * k, AparapiOps.MATMUL_MIN, "matmul", () -> ops.matmul(a, ta, b, tb, out));
        double[] ref = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a.data()[p * m + i] : a.data()[i * k + p];
                    double bv = tb ? b.data()[j * k + p] : b.data()[p * n + j];
                    s += av * bv;
                }
                ref[i * n + j] = s;
            }
        }
        double err = Reference.relativeError(out.data(), ref, ctx("matmul"));
        assertTrue(err < 1e-5, ctx("matmul " + m + "x" + k + "x" + n + " tA=" + ta + " tB=" + tb + " relative error " + err));
    }

    @Test
    void matmulWithEmptyInnerDimensionIsZero() {
        Tensor out = Reference.poisoned(300, 300);
        cpu.matmul(Tensor.zeros(300, 0), Tensor.zeros(0, 300), out);
        for (float v : out.data()) assertEquals(0f, v);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void addBiasSumRowsOuterAccumulate(String shapes) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED + 11);
        for (int[] s : new int[][] {{1, 1}, {3, 7}, {100, 300}, {257, 129}, {4000, 3}, {3, 20000}, {1100, 1000}}) {
            int rows = s[0], cols = s[1];
            Tensor x = Reference.random(rng, rows, cols), bias = Reference.random(rng, cols);
            Tensor out = Reference.poisoned(rows, cols);
            onPath(ops, x.size(), AparapiOps.ELEMENTWISE_MIN, "addBias", () -> ops.addBias(x, bias, out));
            for (int i = 0; i < x.size(); i++) {
                assertBits(x.data()[i] + bias.data()[i % cols], out.data()[i], "addBias", i);
            }
            Tensor sums = Reference.poisoned(cols);
            onPath(ops, x.size(), AparapiOps.SUM_ROWS_MIN, "sumRows", () -> ops.sumRows(x, sums));
            for (int c = 0; c < cols; c++) {
                double ref = 0, mag = 0;
                for (int r = 0; r < rows; r++) {
                    ref += x.data()[r * cols + c];
                    mag += Math.abs(x.data()[r * cols + c]);
                }
                assertClose(ref, sums.data()[c], 1e-5 * mag + 1e-6, "sumRows column", c);
            }
            Tensor xv = Reference.random(rng, rows), yv = Reference.random(rng, cols);
            Tensor acc = Reference.random(rng, rows, cols);
            float[] before = acc.data().clone();
            float alpha = (float) rng.nextDouble(-2, 2);
            onPath(ops, acc.size(), AparapiOps.ELEMENTWISE_MIN, "outerAccumulate",
                    () -> ops.outerAccumulate(alpha, xv, yv, acc));
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    double ref = before[r * cols + c] + (double) alpha * xv.data()[r] * yv.data()[c];
                    assertClose(ref, acc.data()[r * cols + c], 1e-6 * (1 + Math.abs(ref)), "outerAccumulate", (long) r * cols + c);
                }
            }
        }
    }

    // ================================================================ elementwise

    /** Both kernel shapes × sizes on both sides of {@code threshold}: 1, 7, t − 1, t, t + 4097, 100 003. */
    private static Stream<Arguments> around(int threshold) {
        List<Arguments> cases = new ArrayList<>();
        for (String b : new String[] {"cpu-shapes", "gpu-shapes"}) {
            for (int n : new int[] {1, 7, threshold - 1, threshold, threshold + 4097, 100_003}) cases.add(Arguments.of(b, n));
        }
        return cases.stream();
    }

    static Stream<Arguments> elementwiseCases() {
        // Fewer sizes: each is a million elements through fourteen ops, in place and not.
        int t = AparapiOps.ELEMENTWISE_MIN;
        List<Arguments> cases = new ArrayList<>();
        for (String b : new String[] {"cpu-shapes", "gpu-shapes"}) {
            for (int n : new int[] {1, 7, 100_003, t - 1, t + 4097}) cases.add(Arguments.of(b, n));
        }
        return cases.stream();
    }

    static Stream<Arguments> geluCases() {
        return around(AparapiOps.GELU_MIN);
    }

    static Stream<Arguments> optimizerCases() {
        return around(AparapiOps.OPTIMIZER_MIN);
    }

    static Stream<Arguments> randomCases() {
        return around(AparapiOps.RANDOM_MIN);
    }

    private interface Op1 { float apply(float a); }

    private interface Op2 { float apply(float a, float b); }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("elementwiseCases")
    void exactElementwiseOpsMatchTheJavaDefinitionBitForBit(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 31 + n);
        Tensor a = randomTensor(rng, true, n), b = randomTensor(rng, true, n);
        float s = (float) rng.nextDouble(-3, 3), lo = (float) rng.nextDouble(-0.8, 0), hi = (float) rng.nextDouble(0, 0.8);
        int t = AparapiOps.ELEMENTWISE_MIN;
        check2(ops, n, t, "add", a, b, ops::add, Float::sum);
        check2(ops, n, t, "sub", a, b, ops::sub, (x, y) -> x - y);
        check2(ops, n, t, "mul", a, b, ops::mul, (x, y) -> x * y);
        check2(ops, n, t, "reluBackward", a, b, ops::reluBackward, (x, g) -> x > 0f ? g : 0f);
        check1(ops, n, t, "scale", a, (x, o) -> ops.scale(x, s, o), x -> s * x);
        check1(ops, n, t, "clamp", a, (x, o) -> ops.clamp(x, lo, hi, o), x -> Math.min(Math.max(x, lo), hi));
        check1(ops, n, t, "clamp(-0, +0)", a, (x, o) -> ops.clamp(x, -0f, 0f, o), x -> Math.min(Math.max(x, -0f), 0f));
        check1(ops, n, t, "sign", a, ops::sign, Math::signum);
        check1(ops, n, t, "abs", a, ops::abs, x -> Float.intBitsToFloat(Float.floatToRawIntBits(x) & 0x7FFFFFFF));
        check1(ops, n, t, "relu", a, ops::relu, x -> Math.max(x, 0f));
        check1(ops, n, t, "copy", a, ops::copy, x -> x);
        check1(ops, n, t, "maskAtLeast", a, (x, o) -> ops.maskAtLeast(x, hi, o), x -> Math.abs(x) >= hi ? 1f : 0f);
        Tensor filled = Reference.poisoned(n);
        onPath(ops, n, t, "fill", () -> ops.fill(filled, s));
        for (int i = 0; i < n; i++) assertBits(s, filled.data()[i], "fill", i);
        // axpy: y = fma(alpha, x, y), in place.
        Tensor y = randomTensor(rng, true, n);
        float[] y0 = y.data().clone();
        onPath(ops, n, t, "axpy", () -> ops.axpy(s, a, y));
        for (int i = 0; i < n; i++) assertBits(Math.fma(s, a.data()[i], y0[i]), y.data()[i], "axpy", i);
    }

    private interface Unary { void run(Tensor a, Tensor out); }

    private interface Binary { void run(Tensor a, Tensor b, Tensor out); }

    private static void check1(AparapiOps ops, int n, int threshold, String op, Tensor a, Unary call, Op1 def) {
        Tensor out = Reference.poisoned(n);
        onPath(ops, n, threshold, op, () -> call.run(a, out));
        for (int i = 0; i < n; i++) assertBits(def.apply(a.data()[i]), out.data()[i], op, i);
        // In place: out is a.
        Tensor inPlace = Tensor.of(a.data().clone(), n);
        // Copying a tensor onto itself does nothing, on any path.
        onPath(ops, op.equals("copy") ? 0 : n, threshold, op, () -> call.run(inPlace, inPlace));
        String inPlaceOp = op + " in place";
        for (int i = 0; i < n; i++) assertBits(def.apply(a.data()[i]), inPlace.data()[i], inPlaceOp, i);
    }

    private static void check2(AparapiOps ops, int n, int threshold, String op, Tensor a, Tensor b, Binary call, Op2 def) {
        Tensor out = Reference.poisoned(n);
        onPath(ops, n, threshold, op, () -> call.run(a, b, out));
        for (int i = 0; i < n; i++) {
            assertBits(def.apply(a.data()[i], b.data()[i]), out.data()[i], op, i);
        }
        Tensor inPlace = Tensor.of(a.data().clone(), n);
        onPath(ops, n, threshold, op, () -> call.run(inPlace, b, inPlace));
        String inPlaceOp = op + " in place";
        for (int i = 0; i < n; i++) assertBits(def.apply(a.data()[i], b.data()[i]), inPlace.data()[i], inPlaceOp, i);
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("geluCases")
    void geluAndItsGradient(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 37 + n);
        Tensor x = Reference.random(rng, n), g = Reference.random(rng, n);
        for (int i = 0; i < n; i++) x.data()[i] *= 6; // the interesting range, tails included
        Tensor out = Reference.poisoned(n), grad = Reference.poisoned(n);
        onPath(ops, n, AparapiOps.GELU_MIN, "gelu", () -> ops.gelu(x, out));
        onPath(ops, n, AparapiOps.GELU_MIN, "geluBackward", () -> ops.geluBackward(x, g, grad));
        double c = Math.sqrt(2 / Math.PI);
        for (int i = 0; i < n; i++) {
            double v = x.data()[i];
            double th = Math.tanh(c * (v + 0.044715 * v * v * v));
            assertClose(0.5 * v * (1 + th), out.data()[i], 2e-6 * (1 + Math.abs(v)), "gelu", i);
            double d = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * c * (1 + 3 * 0.044715 * v * v);
            assertClose(g.data()[i] * d, grad.data()[i], 2e-6 * (1 + Math.abs(v)), "geluBackward", i);
        }
    }

    // ================================================================ casts

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void decodeEveryHalfValue(String shapes) {
        AparapiOps ops = ops(shapes);
        // Every 16-bit pattern, repeated so that both types reach their kernel threshold.
        int copies = (AparapiOps.CAST_BF16_MIN >> 16) + 1;
        short[] all = new short[65536 * copies + 3];
        for (int h = 0; h < 65536 * copies; h++) all[3 + h] = (short) h;
        for (HalfType type : HalfType.values()) {
            Tensor out = Reference.poisoned(65536 * copies);
            onPath(ops, out.size(), AparapiOps.castMin(type), "decodeHalf", () -> ops.decodeHalf(all, 3, type, out));
            String what = "decode " + type + " of element i (16-bit pattern i % 65536)";
            for (int i = 0; i < out.size(); i++) {
                int h = i & 0xFFFF;
                assertBits(type == HalfType.F16 ? f16Reference(h) : Float.intBitsToFloat(h << 16), out.data()[i], what, i);
            }
            // Small: the plain-Java path gives the same bits.
            Tensor few = Reference.poisoned(1000);
            onPath(ops, 1000, AparapiOps.castMin(type), "decodeHalf", () -> ops.decodeHalf(all, 3 + 31000, type, few));
            for (int i = 0; i < 1000; i++) assertBits(out.data()[31000 + i], few.data()[i], "small decode", i);
        }
    }

    /** binary16 → float by arithmetic on the fields, independent of the bit-twiddling under test. */
    private static float f16Reference(int h) {
        int sign = h >>> 15, e = (h >>> 10) & 0x1F, m = h & 0x3FF;
        if (e == 0x1F) {
            return Float.intBitsToFloat((sign << 31) | 0x7F800000 | (m << 13)); // ∞ or NaN with its payload
        }
        double v = e == 0 ? m * Math.pow(2, -24) : (1 + m / 1024.0) * Math.pow(2, e - 15);
        return (float) (sign == 1 ? -v : v);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void encodeRoundsToNearestEven(String shapes) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED + 5);
        // Every half value, its midpoints with both neighbours and a nudge either side, random bit
        // patterns over every exponent, and the specials.
        List<Float> values = new ArrayList<>();
        for (int h = 0; h < 0x7C00; h++) {
            double v = f16Reference(h), next = h + 1 < 0x7C00 ? f16Reference(h + 1) : 65536.0;
            double mid = (v + next) / 2;
            float fm = (float) mid;
            values.add((float) v);
            values.add(fm);
            values.add(Math.nextUp(fm));
            values.add(Math.nextDown(fm));
        }
        for (int i = 0; i < 40000; i++) values.add(Float.intBitsToFloat(rng.nextInt()));
        for (float f : new float[] {65504f, 65519.99f, 65520f, 1e-8f, 2.9802322e-8f, 2.9802326e-8f, Float.MIN_VALUE,
            Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7F800001), 0f}) {
            values.add(f);
        }
        int count = values.size();
        // Both signs, repeated so that both types reach their kernel threshold.
        int copies = AparapiOps.CAST_BF16_MIN / (2 * count) + 1;
        Tensor a = Tensor.zeros(2 * count * copies);
        for (int c = 0; c < copies; c++) {
            for (int i = 0; i < count; i++) {
                a.data()[2 * count * c + i] = values.get(i);
                a.data()[2 * count * c + count + i] = -values.get(i);
            }
        }
        for (HalfType type : HalfType.values()) {
            short[] out = new short[a.size() + 5];
            Arrays.fill(out, (short) 0x7E55);
            onPath(ops, a.size(), AparapiOps.castMin(type), "encodeHalf", () -> ops.encodeHalf(a, type, out, 5));
            for (int i = 0; i < a.size(); i++) {
                float f = a.data()[i];
                int got = out[5 + i] & 0xFFFF;
                boolean ok;
                int expected = -1;
                if (Float.isNaN(f)) {
                    int expBits = type == HalfType.F16 ? 0x7C00 : 0x7F80;
                    ok = (got & expBits) == expBits && (got & ~expBits & 0x7FFF) != 0 && Float.floatToRawIntBits(f) >>> 31 == got >>> 15;
                } else {
                    expected = type == HalfType.F16 ? f16Nearest(f) : bf16Nearest(f);
                    ok = expected == got;
                }
                if (!ok) {
                    fail(ctx("encode " + type + " " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ") -> 0x"
                            + Integer.toHexString(got) + ", expected " + (expected < 0 ? "a NaN of the same sign" : "0x"
                            + Integer.toHexString(expected))));
                }
            }
            // Small: the plain-Java path gives the same bits.
            Tensor few = Tensor.of(Arrays.copyOfRange(a.data(), 1000, 2000), 1000);
            short[] fewOut = new short[1000];
            onPath(ops, 1000, AparapiOps.castMin(type), "encodeHalf", () -> ops.encodeHalf(few, type, fewOut, 0));
            assertArrayEquals(Arrays.copyOfRange(out, 1005, 2005), fewOut, ctx("small encode " + type));
        }
    }

    /** The nearest binary16 by comparing distances in double (ties to the even mantissa). */
    private static int f16Nearest(float f) {
        int sign = Float.floatToRawIntBits(f) >>> 31 << 15;
        double v = Math.abs((double) f);
        if (Double.isInfinite(v)) return sign | 0x7C00;
        // Binary search the finite magnitudes 0 .. 0x7BFF; 0x7C00 stands for 2^16 (rounding to ∞).
        int lo = 0, hi = 0x7C00;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (f16Reference(mid) <= v) lo = mid; else hi = mid;
        }
        double below = f16Reference(lo), above = hi == 0x7C00 ? 65536.0 : f16Reference(hi);
        int h = v - below < above - v ? lo : v - below > above - v ? hi : (lo & 1) == 0 ? lo : hi;
        return sign | h;
    }

    private static int bf16Nearest(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = bits >>> 31 << 15;
        double v = Math.abs((double) f);
        int lo = (bits & 0x7FFFFFFF) >>> 16;
        if (Double.isInfinite(v)) return sign | lo;
        double below = Float.intBitsToFloat(lo << 16);
        double above = lo + 1 == 0x7F80 ? Math.pow(2, 128) : Float.intBitsToFloat((lo + 1) << 16);
        int h = v - below < above - v ? lo : v - below > above - v ? lo + 1 : (lo & 1) == 0 ? lo : lo + 1;
        return sign | h;
    }

    // ================================================================ reductions

    static Stream<Arguments> reduceCases() {
        int t = AparapiOps.REDUCE_MIN;
        List<Arguments> cases = new ArrayList<>();
        for (String b : new String[] {"cpu-shapes", "gpu-shapes"}) {
            for (int n : new int[] {1, 9, t - 1, t, 3 * (1 << 14) + 5, 1_000_003, AparapiOps.MAX_MIN + 5}) {
                cases.add(Arguments.of(b, n));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("reduceCases")
    void reductionsMatchFloat64(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 7 + n);
        Tensor a = Reference.random(rng, n), b = Reference.random(rng, n);
        double sum = 0, abs = 0, sq = 0, dot = 0, absDot = 0;
        for (int i = 0; i < n; i++) {
            double x = a.data()[i], y = b.data()[i];
            sum += x;
            abs += Math.abs(x);
            sq += x * x;
            dot += x * y;
            absDot += Math.abs(x * y);
        }
        int t = AparapiOps.REDUCE_MIN;
        double[] got = new double[5];
        onPath(ops, n, t, "sum", () -> got[0] = ops.sum(a));
        onPath(ops, n, t, "norm1", () -> got[1] = ops.norm1(a));
        onPath(ops, n, t, "norm2", () -> got[2] = ops.norm2(a));
        onPath(ops, n, t, "dot", () -> got[3] = ops.dot(a, b));
        assertEquals(sum, got[0], 1e-5 * abs + 1e-6, ctx("sum of " + n));
        assertEquals(abs, got[1], 1e-5 * abs + 1e-6, ctx("norm1 of " + n));
        assertEquals(Math.sqrt(sq), got[2], 1e-5 * Math.sqrt(sq) + 1e-6, ctx("norm2 of " + n));
        assertEquals(dot, got[3], 1e-5 * absDot + 1e-6, ctx("dot of " + n));
        double cosine = dot / Math.sqrt(sq * norm2sq(b));
        assertEquals(cosine, ops.cosine(a, b), 1e-5 * absDot / Math.sqrt(sq * norm2sq(b)) + 1e-6, ctx("cosine of " + n));
        assertEquals(0, ops.fallbackLaunches());
        // max is exact: Java's Math.max over the elements, NaN and ±0 included.
        Tensor m = randomTensor(rng, false, n);
        float[] result = new float[1];
        int tm = AparapiOps.MAX_MIN;
        onPath(ops, n, tm, "max", () -> result[0] = ops.max(m));
        assertBits(javaMax(m.data()), result[0], "max of " + n);
        Arrays.fill(m.data(), -0f);
        m.data()[rng.nextInt(n)] = 0f;
        onPath(ops, n, tm, "max", () -> result[0] = ops.max(m));
        assertBits(0f, result[0], "max of -0 and one +0");
        m.data()[rng.nextInt(n)] = Float.NaN;
        onPath(ops, n, tm, "max", () -> result[0] = ops.max(m));
        assertTrue(Float.isNaN(result[0]), ctx("max with a NaN is NaN, got " + result[0]));
    }

    /**
     * On a CPU device the reductions give exactly the bits of their lane model: per work-item of
     * CPU_REDUCE_CHUNK elements, 64 float lanes (lane l takes elements l, l + 64, …), the tail in lane
     * 0, the lanes combined pairwise halves first, the partials added in double in order. Sizes whose
     * last work-item holds only a tail, or a tail after full lane rows.
     */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {AparapiOps.REDUCE_MIN + 63, AparapiOps.REDUCE_MIN + 64 * 3 + 17, 1_000_003})
    void cpuReductionsGiveTheBitsOfTheirLaneModel(int n) {
        SplittableRandom rng = new SplittableRandom(SEED * 13 + n);
        Tensor a = Reference.random(rng, n), b = Reference.random(rng, n);
        onPath(cpu, n, AparapiOps.REDUCE_MIN, "sum", () -> assertEquals(laneModel(a, b, 0), cpu.sum(a), ctx("sum of " + n)));
        assertEquals(laneModel(a, b, 1), cpu.norm1(a), ctx("norm1 of " + n));
        assertEquals(Math.sqrt(laneModel(a, b, 2)), cpu.norm2(a), ctx("norm2 of " + n));
        assertEquals(laneModel(a, b, 3), cpu.dot(a, b), ctx("dot of " + n));
    }

    /** Sum (0), sum of |x| (1), sum of squares (2) or dot (3), as the CPU kernels fold them. */
    private static double laneModel(Tensor a, Tensor b, int op) {
        float[] x = a.data(), y = b.data();
        int n = x.length, chunk = AparapiOps.CPU_REDUCE_CHUNK;
        double total = 0;
        for (int lo = 0; lo < n; lo += chunk) {
            int hi = Math.min(n, lo + chunk), full = lo + (hi - lo) / 64 * 64;
            float[] lanes = new float[64];
            for (int i = lo; i < hi; i++) {
                int l = i < full ? (i - lo) % 64 : 0;
                lanes[l] = switch (op) {
                    case 0 -> lanes[l] + x[i];
                    case 1 -> lanes[l] + Math.abs(x[i]);
                    case 2 -> Math.fma(x[i], x[i], lanes[l]);
                    default -> Math.fma(x[i], y[i], lanes[l]);
                };
            }
            for (int width = 32; width > 0; width /= 2) {
                for (int l = 0; l < width; l++) lanes[l] += lanes[l + width];
            }
            total += lanes[0];
        }
        return total;
    }

    private static double norm2sq(Tensor t) {
        double s = 0;
        for (float v : t.data()) s += (double) v * v;
        return s;
    }

    private static float javaMax(float[] x) {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : x) m = Math.max(m, v);
        return m;
    }

    // ================================================================ row ops

    static Stream<Arguments> rowCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String b : new String[] {"cpu-shapes", "gpu-shapes"}) {
            for (int[] s : new int[][] {{1, 1}, {1, 5}, {3, 17}, {64, 127}, {65, 129}, {500, 10}, {2, 70001}, {600, 900}}) {
                cases.add(Arguments.of(b, s[0], s[1]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("rowCases")
    void softmaxCrossEntropyArgmax(String shapes, int rows, int cols) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 13 + rows * 7919L + cols);
        Tensor x = Reference.random(rng, rows, cols);
        for (int i = 0; i < x.size(); i++) x.data()[i] *= 30; // large logits: max-subtraction matters
        int t = AparapiOps.SOFTMAX_MIN;
        Tensor p = Reference.poisoned(rows, cols);
        onPath(ops, x.size(), t, "softmaxRows", () -> ops.softmaxRows(x, p));
        int[] labels = rng.ints(rows, 0, cols).toArray();
        Tensor grad = Reference.poisoned(rows, cols);
        double[] loss = new double[2];
        onPath(ops, x.size(), t, "softmaxCrossEntropy", () -> loss[0] = ops.softmaxCrossEntropy(x, labels, grad));
        onPath(ops, x.size(), t, "softmaxCrossEntropy", () -> loss[1] = ops.softmaxCrossEntropy(x, labels, null));
        double refLoss = 0;
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int c = 0; c < cols; c++) m = Math.max(m, x.data()[r * cols + c]);
            for (int c = 0; c < cols; c++) s += Math.exp(x.data()[r * cols + c] - m);
            refLoss += Math.log(s) + m - x.data()[r * cols + labels[r]];
            for (int c = 0; c < cols; c++) {
                double prob = Math.exp(x.data()[r * cols + c] - m) / s;
                assertClose(prob, p.data()[r * cols + c], 1e-6 + 1e-5 * prob, "softmax", (long) r * cols + c);
                double g = (prob - (c == labels[r] ? 1 : 0)) / rows;
                assertClose(g, grad.data()[r * cols + c], 1e-6 / rows + 1e-5 * Math.abs(g), "cross-entropy gradient", (long) r * cols + c);
            }
        }
        refLoss /= rows;
        assertEquals(refLoss, loss[0], 1e-5 * (1 + Math.abs(refLoss)), ctx("cross-entropy loss"));
        assertEquals(refLoss, loss[1], 1e-5 * (1 + Math.abs(refLoss)), ctx("cross-entropy loss without gradient"));
        // argmax: exact, first index on ties (plant a duplicate maximum in some rows).
        for (int r = 0; r < rows; r += 2) {
            if (cols > 2) x.data()[r * cols + cols - 1] = x.data()[r * cols + 1] = 1000f;
        }
        int[] idx = new int[rows];
        Arrays.fill(idx, -7);
        onPath(ops, x.size(), AparapiOps.ARGMAX_MIN, "argmaxRows", () -> ops.argmaxRows(x, idx));
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < cols; c++) if (x.data()[r * cols + c] > x.data()[r * cols + best]) best = c;
            assertEquals(best, idx[r], ctx("argmax of row " + r));
        }
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("rowCases")
    void rowTopkMaskKeepsTheLargestMagnitudesTiesToTheLowerColumn(String shapes, int rows, int cols) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 17 + rows * 31L + cols);
        Tensor x = Reference.random(rng, rows, cols);
        // Ties: quantize to few magnitudes with both signs.
        for (int i = 0; i < x.size(); i++) if (rng.nextBoolean()) x.data()[i] = Math.round(x.data()[i] * 4) / 4f;
        for (int k : new int[] {0, 1, cols / 3, cols - 1, cols, cols + 2}) {
            Tensor mask = Reference.poisoned(rows, cols);
            long work = k == 0 || k >= cols ? 0 : x.size();
            if (k == 0 || k >= cols) {
                ops.rowTopkMask(x, k, mask);
                assertEquals(0, ops.fallbackLaunches());
            } else {
                onPath(ops, work, AparapiOps.ROW_TOPK_MIN, "rowTopkMask", () -> ops.rowTopkMask(x, k, mask));
            }
            for (int r = 0; r < rows; r++) {
                int base = r * cols;
                Integer[] order = IntStream.range(0, cols).boxed().toArray(Integer[]::new);
                Arrays.sort(order, Comparator.<Integer>comparingDouble(c -> -Math.abs(x.data()[base + c]))
                        .thenComparingInt(c -> c));
                float[] expected = new float[cols];
                for (int j = 0; j < Math.min(k, cols); j++) expected[order[j]] = 1f;
                for (int c = 0; c < cols; c++) {
                    assertBits(expected[c], mask.data()[base + c], "rowTopkMask k=" + k, base + c);
                }
            }
        }
    }

    // ================================================================ optimizers

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("optimizerCases")
    void optimizerSteps(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 19 + n);
        for (boolean nesterov : new boolean[] {false, true}) {
            Tensor p = Reference.random(rng, n), g = Reference.random(rng, n), v = Reference.random(rng, n);
            float[] p0 = p.data().clone(), v0 = v.data().clone();
            onPath(ops, n, AparapiOps.OPTIMIZER_MIN, "sgdMomentum",
                    () -> ops.sgdMomentum(p, g, v, 0.05f, 0.9f, 1e-2f, nesterov));
            for (int i = 0; i < n; i++) {
                double gi = g.data()[i] + 1e-2 * p0[i], vi = 0.9 * v0[i] + gi;
                double pi = p0[i] - 0.05 * (nesterov ? gi + 0.9 * vi : vi);
                assertClose(vi, v.data()[i], 1e-6 * (1 + Math.abs(vi)), "sgd velocity", i);
                assertClose(pi, p.data()[i], 1e-6 * (1 + Math.abs(pi)), "sgd param", i);
            }
        }
        Tensor p = Reference.random(rng, n), g = Reference.random(rng, n), m = Reference.random(rng, n);
        Tensor v = Reference.random(rng, n);
        for (int i = 0; i < n; i++) v.data()[i] = Math.abs(v.data()[i]);
        float[] p0 = p.data().clone(), m0 = m.data().clone(), v0 = v.data().clone();
        int step = 7;
        onPath(ops, n, AparapiOps.OPTIMIZER_MIN, "adamW",
                () -> ops.adamW(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step));
        for (int i = 0; i < n; i++) {
            double gi = g.data()[i];
            double pi = p0[i] - 1e-3 * 0.01 * p0[i];
            double mi = 0.9 * m0[i] + 0.1 * gi, vi = 0.999 * v0[i] + 0.001 * gi * gi;
            pi -= 1e-3 * (mi / (1 - Math.pow(0.9, step))) / (Math.sqrt(vi / (1 - Math.pow(0.999, step))) + 1e-8);
            assertClose(mi, m.data()[i], 1e-6 * (1 + Math.abs(mi)), "adam m", i);
            assertClose(vi, v.data()[i], 1e-6 * (1 + Math.abs(vi)), "adam v", i);
            assertClose(pi, p.data()[i], 1e-6 * (1 + Math.abs(pi)), "adam param", i);
        }
    }

    // ================================================================ merging

    static Stream<Arguments> topkCases() {
        int t = AparapiOps.TOPK_MIN;
        List<Arguments> cases = new ArrayList<>();
        for (String b : new String[] {"cpu-shapes", "gpu-shapes"}) {
            for (int n : new int[] {1, 2, 1000, t - 1, t, 300_007}) cases.add(Arguments.of(b, n));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("topkCases")
    void topkThresholdIsTheKthLargestMagnitude(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 23 + n);
        Tensor a = Reference.random(rng, n);
        // Ties and zeros, both signs.
        for (int i = 0; i < n; i++) {
            int r = rng.nextInt(10);
            if (r == 0) a.data()[i] = rng.nextBoolean() ? 0f : -0f;
            if (r == 1) a.data()[i] = rng.nextBoolean() ? 0.25f : -0.25f;
        }
        float[] mags = new float[n];
        for (int i = 0; i < n; i++) mags[i] = Math.abs(a.data()[i]);
        Arrays.sort(mags);
        for (long k : new long[] {0, 1, 2, n / 10, n / 2, n - 1, n, n + 5L}) {
            float expected = k == 0 ? Float.POSITIVE_INFINITY : k >= n ? 0f : mags[(int) (n - k)];
            float[] got = new float[1];
            long work = k == 0 || k >= n ? 0 : n;
            onPath(ops, work, AparapiOps.TOPK_MIN, "topkThreshold", () -> got[0] = ops.topkThreshold(a, k));
            assertBits(expected, got[0], "topkThreshold k=" + k + " of " + n);
            // maskAtLeast with it keeps at least k (the k-th and its ties).
            if (k > 0 && k < n) {
                Tensor mask = Reference.poisoned(n);
                ops.maskAtLeast(a, got[0], mask);
                int kept = 0;
                for (float v : mask.data()) kept += (int) v;
                assertTrue(kept >= k, ctx("mask keeps " + kept + " < k=" + k));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> ops.topkThreshold(a, -1));
    }

    /** t is the k-th largest magnitude: fewer than k magnitudes exceed it, at least k reach it, and it is one. */
    private static void assertKthLargestMagnitude(float[] x, long k, float t, String what) {
        long above = 0, atLeast = 0;
        boolean present = false;
        for (float v : x) {
            float m = Math.abs(v);
            above += m > t ? 1 : 0;
            atLeast += m >= t ? 1 : 0;
            present |= m == t;
        }
        assertTrue(above < k && k <= atLeast && present,
                ctx(what + ": " + t + " has " + above + " magnitudes above and " + atLeast + " at least, k=" + k));
    }

    @Test
    void aCpuDeviceBackendRunsMatmulOnTheHostWithJavaOpsBits() {
        List<String> log = new ArrayList<>();
        try (AparapiOps ops = AparapiOps.forDevice(cpu.device()); JavaOps java = new JavaOps(1); LogCapture capture = new LogCapture(log)) {
            SplittableRandom rng = new SplittableRandom(SEED * 59);
            // Small and above the kernels' threshold (m·n·k ≥ 2^19), sizes off the tile multiples.
            int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {128, 129, 130}, {37 + rng.nextInt(64), 300 + rng.nextInt(300), 200 + rng.nextInt(300)}};
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                for (int variant = 0; variant < 3; variant++) {
                    boolean ta = variant == 1, tb = variant == 2;
                    Tensor a = Reference.random(rng, m, k), b = Reference.random(rng, k, n);
                    Tensor sa = Reference.stored(a, ta), sb = Reference.stored(b, tb);
                    Tensor got = Reference.poisoned(m, n), want = Tensor.zeros(m, n);
                    ops.matmul(sa, ta, sb, tb, got);
                    java.matmul(sa, ta, sb, tb, want);
                    String what = "matmul " + m + "x" + k + "x" + n + " variant " + variant;
                    assertArrayEquals(want.data(), got.data(), ctx(what + ": JavaOps' bits"));
                    assertTrue(Reference.relativeError(got.data(), Reference.matmul(a, b), ctx(what)) < 1e-5, ctx(what + " vs float64"));
                }
            }
            assertEquals(0, ops.launches(), ctx("no kernel launched for matmul on a CPU device"));
            assertTrue(log.stream().anyMatch(l -> l.contains("host's Vector API kernel")), ctx("the choice is logged: " + log));
        }
    }

    @Test
    void topkThresholdWithHeavyTiesAMisleadingSampleAndManyCandidates() {
        List<String> log = new ArrayList<>();
        try (AparapiOps ops = new AparapiOps(cpu.device(), false); LogCapture capture = new LogCapture(log)) {
            SplittableRandom rng = new SplittableRandom(SEED * 53);
            int n = 400_000;
            // 40 % of the magnitudes are exactly 0.5: buckets of one value, and buckets too full to gather.
            Tensor ties = Reference.random(rng, n);
            for (int i = 0; i < n; i++) if (rng.nextInt(5) < 2) ties.data()[i] = rng.nextBoolean() ? 0.5f : -0.5f;
            for (long k = 1; k < n; k += n / 23) {
                float[] got = new float[1];
                long kk = k;
                onPath(ops, n, AparapiOps.TOPK_MIN, "topkThreshold", () -> got[0] = ops.topkThreshold(ties, kk));
                assertKthLargestMagnitude(ties.data(), k, got[0], "ties k=" + k);
            }
            // The sampled positions hold the largest magnitudes, so the bracket from the sample
            // misses: the radix passes over all elements must still find the exact answer.
            Tensor misleading = Reference.random(rng, n);
            int m = AparapiOps.topkSamples(n);
            for (int j = 0; j < m; j++) misleading.data()[AparapiOps.samplePosition(j, n, m)] = 10f + j;
            for (long k : new long[] {1, n / 3, n / 2, n - 7}) {
                float[] got = new float[1];
                onPath(ops, n, AparapiOps.TOPK_MIN, "topkThreshold", () -> got[0] = ops.topkThreshold(misleading, k));
                assertKthLargestMagnitude(misleading.data(), k, got[0], "misleading sample k=" + k);
            }
            // Too few slots for the candidates: those that did not fit are counted as lost, and
            // the radix passes over all elements take over.
            ops.topkSlots = 0.01;
            Tensor crowded = Reference.random(rng, n);
            for (long k : new long[] {1, n / 5, n - 1}) {
                float[] got = new float[1];
                onPath(ops, n, AparapiOps.TOPK_MIN, "topkThreshold", () -> got[0] = ops.topkThreshold(crowded, k));
                assertKthLargestMagnitude(crowded.data(), k, got[0], "too few slots k=" + k);
            }
            ops.topkSlots = 1.5;
            // Enough elements that the candidates in the bracket are selected by kernels too.
            int big = 10_000_000;
            Tensor gaussian = Tensor.zeros(big);
            for (int i = 0; i < big; i++) gaussian.data()[i] = (float) (rng.nextGaussian() * 0.02);
            for (long k : new long[] {big / 2, 12_345}) {
                float[] got = new float[1];
                onPath(ops, big, AparapiOps.TOPK_MIN, "topkThreshold", () -> got[0] = ops.topkThreshold(gaussian, k));
                assertKthLargestMagnitude(gaussian.data(), k, got[0], "gaussian k=" + k);
            }
        }
        for (String path : new String[] {"radix passes over all elements", "candidates selected in plain Java",
            "candidates selected by radix passes on the device"}) {
            assertTrue(log.stream().anyMatch(l -> l.contains(path)), "no topkThreshold took the path '" + path + "': " + log);
        }
    }

    /** Collects the FINE messages of AparapiOps' logger while open. */
    private static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger(AparapiOps.class.getName());
        private final Level old = logger.getLevel();
        private final List<String> messages;

        LogCapture(List<String> messages) {
            this.messages = messages;
            logger.setLevel(Level.FINE);
            logger.addHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel() == Level.FINE) messages.add(r.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            logger.removeHandler(this);
            logger.setLevel(old);
        }
    }

    static Stream<Arguments> mergeCases() {
        List<Arguments> cases = new ArrayList<>();
        for (String b : new String[] {"cpu-shapes", "gpu-shapes"}) {
            for (int k : new int[] {1, 2, 3, 8, 9, 17}) {
                for (int n : new int[] {1, 5000, 40_961}) cases.add(Arguments.of(b, k, n));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} K={1} n={2}")
    @MethodSource("mergeCases")
    void signElectionAndDisjointMerge(String shapes, int k, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 29 + k * 100_003L + n);
        Tensor[] xs = new Tensor[k];
        for (int j = 0; j < k; j++) {
            xs[j] = Reference.random(rng, n);
            for (int i = 0; i < n; i++) if (rng.nextInt(5) == 0) xs[j].data()[i] = 0f; // trimmed entries
        }
        long work = (long) n * k;
        int t = AparapiOps.MERGE_MIN;
        Tensor count = Reference.poisoned(n), sum = Reference.poisoned(n);
        onPath(ops, work, t, "electSign COUNT", () -> ops.electSign(xs, SignElection.COUNT, count));
        onPath(ops, work, t, "electSign SUM", () -> ops.electSign(xs, SignElection.SUM, sum));
        for (int i = 0; i < n; i++) {
            int votes = 0;
            double total = 0, mag = 0;
            for (Tensor x : xs) {
                float v = x.data()[i];
                votes += v > 0 ? 1 : v < 0 ? -1 : 0;
                total += v;
                mag += Math.abs(v);
            }
            assertBits(Integer.signum(votes), count.data()[i], "COUNT election", i);
            if (Math.abs(total) > 1e-5 * mag) assertBits(Math.signum((float) total), sum.data()[i], "SUM election", i);
            else assertTrue(Math.abs(sum.data()[i]) <= 1f, ctx("SUM election at " + i + " not written"));
        }
        // Disjoint merge against the elected sign, with some zero signs; sum and mean.
        Tensor sign = Tensor.of(count.data().clone(), n);
        for (int i = 0; i < n; i += 7) sign.data()[i] = 0f;
        for (boolean mean : new boolean[] {false, true}) {
            Tensor out = Reference.poisoned(n);
            onPath(ops, work, t, "disjointMerge", () -> ops.disjointMerge(xs, sign, mean, out));
            for (int i = 0; i < n; i++) {
                double s = 0;
                int c = 0;
                for (Tensor x : xs) {
                    float v = x.data()[i];
                    if (v != 0 && Math.signum(v) == sign.data()[i]) {
                        s += v;
                        c++;
                    }
                }
                double ref = c == 0 ? 0 : mean ? s / c : s;
                assertClose(ref, out.data()[i], 1e-6 * (1 + Math.abs(ref)), "disjointMerge mean=" + mean, i);
            }
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("randomCases")
    void dropAndRescaleIsBitIdenticalToPhilox(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 41 + n);
        Tensor a = randomTensor(rng, true, n);
        long seed = rng.nextLong(), stream = rng.nextLong();
        for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f, 1f, (float) rng.nextDouble()}) {
            Tensor out = Reference.poisoned(n);
            onPath(ops, n, AparapiOps.RANDOM_MIN, "dropAndRescale", () -> ops.dropAndRescale(a, p, seed, stream, out));
            int threshold = (int) Math.round(p * 16777216.0);
            float scale = 1f / (1f - p);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                boolean keep = (Philox.bits(seed, stream, i) >>> 8) >= threshold;
                kept += keep ? 1 : 0;
                assertBits(keep ? a.data()[i] * scale : 0f, out.data()[i], "dropAndRescale p=" + p, i);
            }
            if (n > 10_000) assertEquals(1 - p, kept / (double) n, 0.02, ctx("kept fraction at p=" + p));
        }
        assertThrows(IllegalArgumentException.class, () -> ops.dropAndRescale(a, 1.5f, 1, 2, a));
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("elementwiseCases")
    void slerpMatchesFloat64(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 43 + n);
        Tensor a = Reference.random(rng, n), b = Reference.random(rng, n);
        Tensor colinear = Tensor.of(a.data().clone(), n);
        for (int i = 0; i < n; i++) colinear.data()[i] *= 2;
        float t = (float) rng.nextDouble();
        for (Tensor other : new Tensor[] {b, colinear}) {
            Tensor out = Reference.poisoned(n);
            ops.slerp(a, other, t, out);
            assertEquals(0, ops.fallbackLaunches());
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < n; i++) {
                dot += (double) a.data()[i] * other.data()[i];
                na += (double) a.data()[i] * a.data()[i];
                nb += (double) other.data()[i] * other.data()[i];
            }
            double cos = dot / Math.sqrt(na * nb), ca, cb;
            if (Math.abs(cos) > 0.9995) {
                ca = 1 - t;
                cb = t;
            } else {
                double theta = Math.acos(cos);
                ca = Math.sin((1 - t) * theta) / Math.sin(theta);
                cb = Math.sin(t * theta) / Math.sin(theta);
            }
            for (int i = 0; i < n; i++) {
                double ref = ca * a.data()[i] + cb * other.data()[i];
                assertClose(ref, out.data()[i], 1e-5 * (1 + Math.abs(ref)), "slerp", i);
            }
        }
    }

    // ================================================================ random

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("randomCases")
    void uniformIsBitIdenticalToPhilox(String shapes, int n) {
        AparapiOps ops = ops(shapes);
        SplittableRandom rng = new SplittableRandom(SEED * 47 + n);
        long seed = rng.nextLong(), stream = rng.nextLong();
        float[][] ranges = {{0f, 1f}, {-1f, 1f}, {-3.5f, -0.25f}, {1000f, 1000.001f}, {(float) -rng.nextDouble(), (float) rng.nextDouble()}};
        for (float[] r : ranges) {
            Tensor out = Reference.poisoned(n);
            onPath(ops, n, AparapiOps.RANDOM_MIN, "uniform", () -> ops.uniform(seed, stream, r[0], r[1], out));
            float[] expected = new float[n];
            Philox.fillUniform(expected, seed, stream, 0, r[0], r[1]);
            for (int i = 0; i < n; i++) {
                assertBits(expected[i], out.data()[i], "uniform [" + r[0] + ", " + r[1] + ")", i);
                assertTrue(out.data()[i] >= r[0] && out.data()[i] < r[1], ctx("uniform out of range at " + i));
            }
        }
        // A piece at an offset on the 4-element grid (the kernel's), block counters past 2^31.
        long offset = (1L << 33) + 4L * rng.nextInt(1 << 20);
        Tensor out = Reference.poisoned(n);
        onPath(ops, n, AparapiOps.RANDOM_MIN, "uniform", () -> ops.uniform(seed, stream, offset, -1f, 1f, out));
        float[] expected = new float[n];
        Philox.fillUniform(expected, seed, stream, offset, -1f, 1f);
        for (int i = 0; i < n; i++) assertBits(expected[i], out.data()[i], "uniform at offset " + offset, i);
    }

    @Test
    void normalIsTheJavaBackendsDrawBitForBit() {
        Tensor expected = Tensor.zeros(10_001);
        try (JavaOps java = new JavaOps(1)) {
            java.normal(3, 4, 0.5f, 2f, expected);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("the Java backend has no normal() yet: " + e.getMessage());
        }
        Tensor out = Reference.poisoned(10_001);
        cpu.normal(3, 4, 0.5f, 2f, out);
        for (int i = 0; i < out.size(); i++) assertBits(expected.data()[i], out.data()[i], "normal", i);
    }

    // ================================================================ checks and dispatch

    @Test
    void badCallsAreRejectedBeforeAnythingIsWritten() {
        Tensor a = Tensor.zeros(4, 5), out = Reference.poisoned(4, 5);
        assertThrows(IllegalArgumentException.class, () -> cpu.matmul(a, false, Tensor.zeros(4, 3), false, Tensor.zeros(4, 3)));
        assertThrows(IllegalArgumentException.class, () -> cpu.matmul(a, true, Tensor.zeros(4, 3), false, Tensor.zeros(4, 3)));
        Tensor square = Tensor.zeros(5, 5);
        assertThrows(IllegalArgumentException.class, () -> cpu.matmul(square, false, Tensor.zeros(5, 5), true, square));
        assertThrows(IllegalArgumentException.class, () -> cpu.add(a, Tensor.zeros(5, 4), out));
        assertThrows(IllegalArgumentException.class, () -> cpu.addBias(a, Tensor.zeros(4), out));
        assertThrows(IllegalArgumentException.class, () -> cpu.sumRows(a, Tensor.zeros(4)));
        assertThrows(IllegalArgumentException.class, () -> cpu.argmaxRows(a, new int[5]));
        assertThrows(IllegalArgumentException.class, () -> cpu.softmaxCrossEntropy(a, new int[] {0, 1, 5, 2}, null));
        assertThrows(IllegalArgumentException.class, () -> cpu.encodeHalf(a, HalfType.F16, new short[20], 1));
        assertThrows(IllegalArgumentException.class, () -> cpu.decodeHalf(new short[19], 0, HalfType.BF16, out));
        assertThrows(IllegalArgumentException.class, () -> cpu.electSign(new Tensor[0], SignElection.SUM, out));
        assertThrows(IllegalArgumentException.class, () -> cpu.disjointMerge(new Tensor[] {a, Tensor.zeros(20)}, a, true, out));
        assertThrows(IllegalArgumentException.class, () -> cpu.outerAccumulate(1f, Tensor.zeros(5), Tensor.zeros(5), a));
        assertThrows(IllegalArgumentException.class, () -> cpu.adamW(a, a, a, a, 1, 0.9f, 0.99f, 1e-8f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> cpu.rowTopkMask(a, -1, out));
        for (float v : out.data()) assertTrue(Float.isNaN(v), "a rejected call wrote its output");
    }

    @Test
    void smallTensorsGoToTheGivenPlainJavaBackend() {
        List<String> calls = new ArrayList<>();
        JavaOps plain = new JavaOps(1);
        // Records each op it is asked for, then does it with the plain loops.
        TensorOps recording = (TensorOps) java.lang.reflect.Proxy.newProxyInstance(TensorOps.class.getClassLoader(),
                new Class<?>[] {TensorOps.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("name") && !method.getName().equals("close")) calls.add(method.getName());
                    return method.invoke(plain, args);
                });
        try (AparapiOps ops = new AparapiOps(cpu.device(), recording)) {
            Tensor small = Tensor.of(new float[] {1, 2, 3}, 3), out = Reference.poisoned(3);
            ops.add(small, small, out);
            assertArrayEquals(new float[] {2, 4, 6}, out.data());
            Tensor big = Tensor.zeros(AparapiOps.ELEMENTWISE_MIN);
            ops.add(big, big, big);
            assertEquals(List.of("add"), calls, "only the small add goes to the plain-Java backend");
            assertEquals(1, ops.launches());
        }
    }

    @Test
    void eachChoiceIsLoggedOncePerOpAndVariant() {
        List<String> messages = new ArrayList<>();
        try (AparapiOps ops = new AparapiOps(cpu.device(), false); LogCapture capture = new LogCapture(messages)) {
            Tensor big = Tensor.zeros(AparapiOps.ELEMENTWISE_MIN), small = Tensor.zeros(10);
            for (int i = 0; i < 3; i++) {
                ops.sub(big, big, big);
                ops.sub(small, small, small);
            }
            ops.sum(Tensor.zeros(AparapiOps.REDUCE_MIN));
            Tensor a = Tensor.zeros(128, 128);
            ops.matmul(a, false, a, true, Tensor.zeros(128, 128));
            ops.matmul(a, false, a, true, Tensor.zeros(128, 128));
        }
        long subKernel = messages.stream().filter(m -> m.startsWith("sub: opencl")).count();
        long subJava = messages.stream().filter(m -> m.startsWith("sub: plain Java")).count();
        long matmul = messages.stream().filter(m -> m.startsWith("matmul A·TB: opencl")).count();
        assertEquals(1, subKernel, "one log line for sub on OpenCL: " + messages);
        assertEquals(1, subJava, "one log line for sub in plain Java: " + messages);
        assertEquals(1, matmul, "one log line for A·Bᵀ on OpenCL: " + messages);
        // The hand-written sources were injected (else Aparapi compiles the kernels' Java bodies).
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("sum: opencl reduce-cpu.cl")), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.contains("opencl packed-matmul.cl, 8x16 register blocks")
                && m.contains("(Bᵀ read through strides)")), messages.toString());
    }
}
