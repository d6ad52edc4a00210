package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.merge.TensorSums.Term;

class TensorSumsTest {
    private static final Term[] TERMS = {Term.dot(0, 0), Term.dot(0, 1), Term.dot(1, 2), Term.abs(2), Term.abs(0)};

    @Test
    void piecesOfAnySizeGiveTheWholeTensorsBitsAndTheExactSums() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 40; round++) {
            int n = rnd.nextInt(1, 3000), block = 1 + rnd.nextInt(200);
            long segment = rnd.nextBoolean() ? n : 1 + rnd.nextInt(n);
            float[][] v = new float[3][n];
            for (float[] x : v) {
                for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(6 * rnd.nextGaussian()));
            }
            String where = "seed " + seed + ", round " + round + ": n " + n + ", segment " + segment + ", block " + block;
            TensorSums whole = new TensorSums(n, segment, block, TERMS);
            whole.feed(v);
            TensorSums pieces = new TensorSums(n, segment, block, TERMS);
            for (int from = 0; from < n; ) {
                int len = Math.min(n - from, rnd.nextInt(1, 2 * block + 3));
                int f = from;
                pieces.feed(Arrays.stream(v).map(x -> Arrays.copyOfRange(x, f, f + len)).toArray(float[][]::new));
                from += len;
            }
            for (long s = 0; s * segment < n; s++) {
                for (int t = 0; t < TERMS.length; t++) {
                    String at = where + ", segment " + s + ", term " + TERMS[t];
                    assertEquals(Double.doubleToRawLongBits(whole.get(s, t)), Double.doubleToRawLongBits(pieces.get(s, t)), at);
                    double exact = exact(v, TERMS[t], s * segment, Math.min(n, (s + 1) * segment));
                    assertEquals(exact, whole.get(s, t), 1e-12 * Math.max(1e-300, magnitude(v, TERMS[t], s * segment, Math.min(n, (s + 1) * segment))), at);
                }
            }
        }
    }

    @Test
    void aTensorFedShortOrLongIsAnError() {
        TensorSums s = new TensorSums(10, 10, TERMS);
        s.feed(new float[4], new float[4], new float[4]);
        assertThrows(IllegalStateException.class, () -> s.get(0, 0), "read before every element was fed");
        assertThrows(IllegalStateException.class, () -> s.feed(new float[7], new float[7], new float[7]));
        assertThrows(IllegalArgumentException.class, () -> s.feed(new float[3], new float[2], new float[3]));
        assertThrows(IllegalArgumentException.class, () -> s.feed(new float[3], new float[3]));
        s.feed(new float[6], new float[6], new float[6]);
        assertTrue(s.get(0, 0) == 0);
    }

    /** The term's sum over [lo, hi), exactly (BigDecimal), rounded once to double. */
    private static double exact(float[][] v, Term t, long lo, long hi) {
        BigDecimal sum = BigDecimal.ZERO;
        for (int i = (int) lo; i < hi; i++) {
            double x = v[t.x()][i];
            sum = sum.add(new BigDecimal(t.y() < 0 ? Math.abs(x) : x * v[t.y()][i]));
        }
        return sum.round(MathContext.DECIMAL128).doubleValue();
    }

    /** Σ |each addend|: the scale of the rounding error of a float64 sum. */
    private static double magnitude(float[][] v, Term t, long lo, long hi) {
        double m = 0;
        for (int i = (int) lo; i < hi; i++) m += Math.abs((double) v[t.x()][i] * (t.y() < 0 ? 1 : v[t.y()][i]));
        return m;
    }
}
