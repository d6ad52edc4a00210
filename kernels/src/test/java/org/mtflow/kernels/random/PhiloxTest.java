package org.mtflow.kernels.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PhiloxTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    /** Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors). */
    @Test
    void knownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.block(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.block(-1, -1, -1, -1, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void fillMatchesElementwiseDrawAtAnyOffset() {
        SplittableRandom rng = new SplittableRandom(SEED);
        long seed = rng.nextLong(), stream = rng.nextLong();
        for (int offset : new int[] {0, 1, 2, 3, 5, 1001}) {
            float[] out = new float[37];
            Philox.fillUniform(out, seed, stream, offset, -1f, 1f);
            for (int i = 0; i < out.length; i++) {
                float expect = -1f + 2f * Philox.toUnitFloat(Philox.bits(seed, stream, offset + i));
                assertEquals(expect, out[i], 0f, "offset " + offset + " element " + i + " (seed " + SEED + ")");
            }
        }
    }

    @Test
    void uniformityChiSquare() {
        int n = 1_000_000, bins = 100;
        float[] out = new float[n];
        Philox.fillUniform(out, SEED, Philox.stream("test", "uniform"), 0, 0f, 1f);
        long[] count = new long[bins];
        double mean = 0;
        for (float v : out) {
            assertTrue(v >= 0f && v < 1f, "value " + v + " outside [0,1)");
            count[(int) (v * bins)]++;
            mean += v;
        }
        double expected = (double) n / bins, chi2 = 0;
        for (long c : count) chi2 += (c - expected) * (c - expected) / expected;
        // 99 degrees of freedom: P(chi2 > 160) < 1e-4.
        assertTrue(chi2 < 160, "chi-square " + chi2 + " (seed " + SEED + ")");
        assertEquals(0.5, mean / n, 0.002, "mean (seed " + SEED + ")");
    }

    @Test
    void streamsSeparateParts() {
        assertNotEquals(Philox.stream("ab", "c"), Philox.stream("a", "bc"));
        assertEquals(Philox.stream("task", "x"), Philox.stream("task", "x"));
    }

    @Test
    void uniformStaysBelowHighWhereTheProductRoundsUp() {
        // 1 + 2·(1 - 2^-24) is a tie that rounds to 3 in float32: the cap must keep it below.
        assertEquals(3f, Math.fma(2f, Philox.toUnitFloat(-1), 1f), "the uncapped formula reaches hi here");
        assertEquals(Math.nextDown(3f), Philox.toUniform(-1, 1f, 3f));
        assertEquals(1f, Philox.toUniform(0, 1f, 3f));
        assertEquals(Math.fma(2f, Philox.toUnitFloat(0x12345678), -1f), Philox.toUniform(0x12345678, -1f, 1f));
    }

    @Test
    void rangeFillsDrawElementIAtIndexI() {
        SplittableRandom rng = new SplittableRandom(SEED + 7);
        long seed = rng.nextLong(), stream = rng.nextLong();
        for (int[] range : new int[][] {{0, 1}, {0, 37}, {3, 4}, {5, 22}, {1001, 1010}}) {
            float[] u = new float[range[1]], z = new float[range[1]];
            java.util.Arrays.fill(u, Float.NaN);
            java.util.Arrays.fill(z, Float.NaN);
            Philox.fillUniform(u, range[0], range[1], seed, stream, -2f, 3f);
            Philox.fillNormal(z, range[0], range[1], seed, stream, 0.5f, 2f);
            for (int i = 0; i < range[1]; i++) {
                if (i < range[0]) {
                    assertTrue(Float.isNaN(u[i]) && Float.isNaN(z[i]), "element " + i + " before the range written");
                    continue;
                }
                assertEquals(Philox.toUniform(Philox.bits(seed, stream, i), -2f, 3f), u[i], 0f, "uniform " + i + " (seed " + SEED + ")");
                assertEquals(Philox.normal(seed, stream, i, 0.5f, 2f), z[i], 0f, "normal " + i + " (seed " + SEED + ")");
            }
        }
    }

    /** Box–Muller over draws 2i and 2i+1, from the formula, in double with StrictMath. */
    @Test
    void normalIsBoxMullerOverDraws2iAnd2iPlus1() {
        SplittableRandom rng = new SplittableRandom(SEED + 8);
        long seed = rng.nextLong(), stream = rng.nextLong();
        for (int t = 0; t < 1000; t++) {
            long i = t < 500 ? t : rng.nextLong(1L << 40);
            int b1 = Philox.bits(seed, stream, 2 * i), b2 = Philox.bits(seed, stream, 2 * i + 1);
            double u1 = (((long) b1 >>> 8 & 0xffffff) + 1) / 16777216.0, u2 = ((long) b2 >>> 8 & 0xffffff) / 16777216.0;
            float z = (float) (StrictMath.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2));
            assertEquals(z, Philox.toNormal(b1, b2), 0f, "z of element " + i);
            assertEquals(Math.fma(1.5f, z, -3f), Philox.normal(seed, stream, i, -3f, 1.5f), 0f, "element " + i);
        }
        // The extremes: u1 = 2^-24 gives the largest |z|; u1 = 1 gives 0.
        assertEquals((float) Math.sqrt(-2 * Math.log(0x1p-24)), Philox.toNormal(0, 0), 1e-6f);
        assertEquals(0f, Philox.toNormal(-1, 0), 0f);
    }

    @Test
    void normalMomentsAreStandard() {
        int n = 1_000_000;
        float[] z = new float[n];
        Philox.fillNormal(z, 0, n, SEED, Philox.stream("test", "normal"), 0f, 1f);
        double mean = 0, sq = 0, within1 = 0;
        for (float v : z) {
            mean += v;
            sq += (double) v * v;
            if (Math.abs(v) < 1) within1++;
        }
        mean /= n;
        double var = sq / n - mean * mean;
        // Standard errors: mean 0.001, variance 0.0014, P(|z|<1) 0.0005; bounds at > 6 of them.
        assertEquals(0, mean, 0.006, "mean (seed " + SEED + ")");
        assertEquals(1, var, 0.01, "variance (seed " + SEED + ")");
        assertEquals(0.682689, within1 / n, 0.003, "P(|z| < 1) (seed " + SEED + ")");
    }
}
