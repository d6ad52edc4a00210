package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;

/** The piecewise threshold equals TensorOps.topkThreshold and a sorted reference, bit for bit. */
class StreamingThresholdTest {
    static final JavaOps OPS = new JavaOps(2);

    /** Values with ties, zeros, negative zeros, subnormals, ±∞ and NaN, at several magnitudes. */
    static float[] values(SplittableRandom rnd, int n) {
        float[] pool = new float[16];
        for (int i = 0; i < pool.length; i++) pool[i] = (float) rnd.nextGaussian();
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int c = rnd.nextInt(100);
            x[i] = c < 60 ? (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-3, 3)))
                    : c < 85 ? pool[rnd.nextInt(pool.length)]
                    : c < 90 ? (rnd.nextBoolean() ? 0f : -0f)
                    : c < 93 ? Float.MIN_VALUE * rnd.nextInt(1, 50)
                    : c < 96 ? (rnd.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY)
                    : Float.NaN;
        }
        return x;
    }

    /** Independent reference: sort the magnitudes (NaN as 0) and take the k-th largest. */
    static float sorted(float[] x, long k) {
        if (k >= x.length) return 0f;
        if (k == 0) return Float.POSITIVE_INFINITY;
        float[] m = new float[x.length];
        for (int i = 0; i < x.length; i++) m[i] = Float.isNaN(x[i]) ? 0f : Math.abs(x[i]);
        Arrays.sort(m);
        return m[x.length - (int) k];
    }

    static StreamingThreshold.Pieces inPieces(float[] x, int pieceSize) {
        return piece -> {
            float[] buf = new float[pieceSize];
            for (int from = 0; from < x.length; from += pieceSize) {
                int len = Math.min(pieceSize, x.length - from);
                System.arraycopy(x, from, buf, 0, len);
                Arrays.fill(buf, len, pieceSize, Float.NaN); // stale tail beyond length must be ignored
                piece.accept(buf, len);
            }
        };
    }

    @Test
    void equalsTheWholeTensorThresholdForEveryK() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n : new int[] {1, 7, 300, 70_001, 2_500_003}) {
            float[] x = values(rnd, n);
            // The largest case counts pieces of over 2^20 elements in slices on several threads.
            int pieceSize = n > 1 << 21 ? (1 << 21) + rnd.nextInt(1 << 18) : 1 + rnd.nextInt(Math.max(1, n / 3));
            long[] ks = n < 400 ? java.util.stream.LongStream.rangeClosed(0, n + 1).toArray()
                    : new long[] {0, 1, 2, n / 10, n / 2, n - 1, n, n + 5, 1 + rnd.nextInt(n)};
            for (long k : ks) {
                float want = OPS.topkThreshold(Tensor.of(x.clone(), n), k);
                float got = StreamingThreshold.kthLargest(n, k, inPieces(x, pieceSize));
                String where = "seed " + seed + ", n " + n + ", k " + k + ", piece " + pieceSize;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), where + " vs TensorOps");
                assertEquals(Float.floatToRawIntBits(sorted(x, k)), Float.floatToRawIntBits(got), where + " vs sorted");
            }
            // Several ranks from the same passes, as Breadcrumbs asks for (outliers, then kept): each as alone.
            long[] some = new long[1 + rnd.nextInt(3)];
            for (int j = 0; j < some.length; j++) some[j] = ks[rnd.nextInt(ks.length)];
            float[] together = StreamingThreshold.kthLargest(n, some, inPieces(x, pieceSize));
            for (int j = 0; j < some.length; j++) {
                assertEquals(Float.floatToRawIntBits(sorted(x, some[j])), Float.floatToRawIntBits(together[j]),
                        "seed " + seed + ", n " + n + ", ranks " + java.util.Arrays.toString(some) + " [" + j + "]");
            }
        }
    }

    @Test
    void rejectsPiecesThatDoNotCoverTheTensor() {
        float[] x = {1f, 2f, 3f};
        var e = assertThrows(IllegalStateException.class, () -> StreamingThreshold.kthLargest(4, 2, inPieces(x, 2)));
        assertEquals("the pieces held 3 elements, expected 4", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StreamingThreshold.kthLargest(3, -1, inPieces(x, 2)));
    }
}
