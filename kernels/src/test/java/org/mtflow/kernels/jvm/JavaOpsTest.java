package org.mtflow.kernels.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.Reference;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOps.SignElection;
import org.mtflow.kernels.TensorOpsContract;

class JavaOpsTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());
    private static final JavaOps ONE = new JavaOps(1);
    private static final JavaOps TWO = new JavaOps(2);
    private static final JavaOps THREE = new JavaOps(3);
    /** The plain loops that run when the JVM lacks jdk.incubator.vector. */
    private static final JavaOps SCALAR = new JavaOps(2, false);

    @AfterAll
    static void close() {
        ONE.close();
        TWO.close();
        THREE.close();
        SCALAR.close();
    }

    @Nested
    class OneThread extends TensorOpsContract {
        @Override
        protected TensorOps ops() { return ONE; }
    }

    @Nested
    class TwoThreads extends TensorOpsContract {
        @Override
        protected TensorOps ops() { return TWO; }
    }

    @Nested
    class TwoThreadsScalar extends TensorOpsContract {
        @Override
        protected TensorOps ops() { return SCALAR; }
    }

    /** The build loads the module (surefire's argLine), so the contract above covers the Vector API loops. */
    @Test
    void testsRunTheVectorLoops() {
        assertTrue(TWO.vectors(), "surefire must run with --add-modules jdk.incubator.vector");
        assertTrue(!SCALAR.vectors());
    }

    /**
     * The exact ops the Vector API runs give the plain loops' bits, on random bit patterns (NaN
     * payloads, subnormals, ties and overflow included) and at lengths that leave vector tails.
     */
    @Test
    void vectorLoopsGiveTheScalarBits() {
        SplittableRandom rng = new SplittableRandom(SEED);
        int[] special = {0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffbfffff, 0x00000001,
            0x33000000, 0x33000001, 0x387fefff, 0x387ff000, 0x38800000, 0x477fefff, 0x477ff000, 0x477fffff,
            0x3f808000, 0x3f818000, 0x3f800fff, 0x3f801000, 0x3f803000};
        for (int n : new int[] {1, 15, 17, 100_003}) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                int bits = rng.nextInt(4) == 0 ? special[rng.nextInt(special.length)] : rng.nextInt();
                // Half the draws near the half range, where the rounding cases are.
                if (rng.nextBoolean()) bits = (bits & 0x807fffff) | ((0x66 + rng.nextInt(0x20)) << 23);
                x[i] = Float.intBitsToFloat(bits);
            }
            Tensor a = Tensor.of(x, n);
            for (TensorOps.HalfType type : TensorOps.HalfType.values()) {
                short[] v = new short[n + 3], s = new short[n + 3];
                TWO.encodeHalf(a, type, v, 3);
                SCALAR.encodeHalf(a, type, s, 3);
                assertArrayEquals(s, v, type + " encode, n = " + n + " (seed " + SEED + ")");
                Tensor dv = Tensor.zeros(n), ds = Tensor.zeros(n);
                TWO.decodeHalf(v, 3, type, dv);
                SCALAR.decodeHalf(v, 3, type, ds);
                assertEquals(bits(ds), bits(dv), type + " decode, n = " + n);
            }
            for (float t : new float[] {0f, 0.5f, Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NaN}) {
                Tensor mv = Tensor.zeros(n), ms = Tensor.zeros(n);
                TWO.maskAtLeast(a, t, mv);
                SCALAR.maskAtLeast(a, t, ms);
                assertEquals(bits(ms), bits(mv), "maskAtLeast " + t + ", n = " + n);
            }
            Tensor[] xs = {a, Reference.random(rng, n), Tensor.zeros(n), Reference.random(rng, n), a};
            for (int k = 1; k <= xs.length; k++) {
                Tensor[] some = java.util.Arrays.copyOf(xs, k);
                Tensor ev = Tensor.zeros(n), es = Tensor.zeros(n);
                TWO.electSign(some, SignElection.COUNT, ev);
                SCALAR.electSign(some, SignElection.COUNT, es);
                assertEquals(bits(es), bits(ev), "electSign COUNT, K = " + k + ", n = " + n);
            }
        }
    }

    /**
     * The Vector API matmul (register tiles, packed panels) gives the plain loops' bits: both chain
     * each element's FMAs in increasing k from 0. Shapes around both tilings (6-row strips, panels of
     * 2 vectors and of 512 columns, k-blocks of 255 and 256) and the MLP's, into outputs holding garbage.
     */
    @Test
    void vectorMatmulGivesTheScalarBits() {
        SplittableRandom rng = new SplittableRandom(SEED);
        int[][] shapes = {{1, 1, 1}, {6, 256, 32}, {7, 257, 33}, {5, 511, 31}, {13, 255, 65}, {128, 784, 512},
            {784, 128, 512}, {512, 128, 256}, {128, 256, 10}, {256, 128, 10}, {97, 600, 530}, {200, 3, 1030},
            {1030, 300, 1031}};
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            for (int v = 0; v < 4; v++) {
                boolean ta = (v & 1) != 0, tb = (v & 2) != 0;
                Tensor a = ta ? Reference.random(rng, k, m) : Reference.random(rng, m, k);
                Tensor b = tb ? Reference.random(rng, n, k) : Reference.random(rng, k, n);
                Tensor vector = Reference.random(rng, m, n), scalar = Tensor.zeros(m, n);
                for (JavaOps ops : new JavaOps[] {ONE, TWO, THREE}) {
                    ops.matmul(a, ta, b, tb, vector);
                    SCALAR.matmul(a, ta, b, tb, scalar);
                    assertEquals(bits(scalar), bits(vector), "matmul " + m + "x" + k + "x" + n + " Aᵀ=" + ta + " Bᵀ=" + tb
                            + " on " + ops.threads() + " threads (seed " + SEED + ")");
                }
            }
        }
    }

    /** Fixed blocks: the same bits on 1, 2 and 3 threads, for the ops that reduce or split work. */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        SplittableRandom rng = new SplittableRandom(SEED);
        Tensor a = Reference.random(rng, 1_000_003), b = Reference.random(rng, 1_000_003);
        Tensor x = Reference.random(rng, 300, 700), y = Reference.random(rng, 700, 500);
        int[] labels = new int[300];
        for (int r = 0; r < labels.length; r++) labels[r] = rng.nextInt(700);
        Tensor[] xs = {a, b, Reference.random(rng, 1_000_003), Reference.random(rng, 1_000_003), Reference.random(rng, 1_000_003)};
        List<Object> first = null;
        for (JavaOps ops : new JavaOps[] {ONE, TWO, THREE}) {
            List<Object> results = new ArrayList<>();
            results.add(ops.sum(a));
            results.add(ops.norm1(a));
            results.add(ops.norm2(a));
            results.add(ops.dot(a, b));
            results.add(ops.topkThreshold(a, 12_345));
            Tensor prod = Tensor.zeros(300, 500);
            ops.matmul(x, y, prod);
            results.add(bits(prod));
            Tensor grad = Tensor.zeros(300, 700);
            results.add(ops.softmaxCrossEntropy(x, labels, grad));
            results.add(bits(grad));
            Tensor cols = Tensor.zeros(700);
            ops.sumRows(x, cols);
            results.add(bits(cols));
            Tensor merged = Tensor.zeros(1_000_003);
            ops.electSign(xs, SignElection.SUM, merged);
            results.add(bits(merged));
            Tensor mean = Tensor.zeros(1_000_003);
            ops.disjointMerge(xs, merged, true, mean);
            results.add(bits(mean));
            Tensor slerped = Tensor.zeros(1_000_003);
            ops.slerp(a, b, 0.3f, slerped);
            results.add(bits(slerped));
            if (first == null) first = results;
            else assertEquals(first, results, ops.threads() + " threads differ from 1 (seed " + SEED + ")");
        }
    }

    private static List<Integer> bits(Tensor t) {
        List<Integer> out = new ArrayList<>(t.size());
        for (float v : t.data()) out.add(Float.floatToRawIntBits(v));
        return out;
    }

    @Test
    void smallWorkStaysOnTheCallingThread() {
        // A tiny op must not need the pool: it still works after the pool is shut down.
        JavaOps ops = new JavaOps(2);
        ops.close();
        Tensor a = Tensor.of(new float[] {1, 2, 3}, 3), out = Tensor.zeros(3);
        ops.add(a, a, out);
        assertArrayEquals(new float[] {2, 4, 6}, out.data());
        Tensor c = Tensor.zeros(2, 2);
        ops.matmul(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), Tensor.of(new float[] {1, 0, 0, 1}, 2, 2), c);
        assertArrayEquals(new float[] {1, 2, 3, 4}, c.data());
        assertEquals(6.0, ops.sum(a));
        assertNotEquals(0, ops.topkThreshold(a, 1));
        assertTrue(ops.max(a) == 3f);
    }
}
