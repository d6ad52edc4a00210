package org.mtflow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

/** Float64 references and helpers shared by the kernel tests. */
public final class Reference {
    private Reference() {}

    public static Tensor random(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (rng.nextDouble() * 2 - 1);
        return t;
    }

    /** A tensor full of NaN, so that an element an op forgets to write fails the comparison. */
    public static Tensor poisoned(int... shape) {
        Tensor t = Tensor.zeros(shape);
        java.util.Arrays.fill(t.data(), Float.NaN);
        return t;
    }

    public static double[] matmul(Tensor a, Tensor b) {
        int m = a.dim(0), k = a.dim(1), n = b.dim(1);
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) {
                double aip = a.data()[i * k + p];
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b.data()[p * n + j];
            }
        return c;
    }

    /** Relative Frobenius error ‖out − ref‖ / ‖ref‖, after checking every element is finite. */
    public static double relativeError(float[] out, double[] ref, String context) {
        assertEquals(ref.length, out.length, context + ": length");
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Float.isFinite(out[i]), context + ": element " + i + " not written (" + out[i] + ")");
            double d = out[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
