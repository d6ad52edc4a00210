package org.mtflow.kernels;

import java.util.Arrays;

/** Shape checks shared by the backends, so every backend rejects bad calls the same way. */
public final class Shapes {
    private Shapes() {}

    public static void requireMatmul(Tensor a, Tensor b) {
        if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(0)) {
            throw new IllegalArgumentException("matmul needs [m,k]·[k,n], got "
                    + Arrays.toString(a.shape()) + "·" + Arrays.toString(b.shape()));
        }
    }

    public static void requireMatmul(Tensor a, Tensor b, Tensor out) {
        requireMatmul(a, b);
        if (out.rank() != 2 || out.dim(0) != a.dim(0) || out.dim(1) != b.dim(1)) {
            throw new IllegalArgumentException("matmul output must be [" + a.dim(0) + "," + b.dim(1) + "], got "
                    + Arrays.toString(out.shape()));
        }
        if (out.data() == a.data() || out.data() == b.data()) {
            throw new IllegalArgumentException("matmul output must not alias an input");
        }
    }

    public static void requireSame(Tensor a, Tensor b) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException("shapes differ: " + Arrays.toString(a.shape())
                    + " vs " + Arrays.toString(b.shape()));
        }
    }

    public static void requireSame(Tensor a, Tensor b, Tensor out) {
        requireSame(a, b);
        requireSame(a, out);
    }
    /**
     * matmul with transposes: op(a) [m,k] · op(b) [k,n] → out [m,n], where op transposes when asked;
     * out must not alias a or b.
     */
    public static void requireMatmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        if (a.rank() != 2 || b.rank() != 2 || out.rank() != 2) {
            throw new IllegalArgumentException("matmul needs rank-2 tensors, got " + Arrays.toString(a.shape())
                    + ", " + Arrays.toString(b.shape()) + " -> " + Arrays.toString(out.shape()));
        }
        int m = a.dim(transposeA ? 1 : 0), k = a.dim(transposeA ? 0 : 1);
        int kb = b.dim(transposeB ? 1 : 0), n = b.dim(transposeB ? 0 : 1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul needs [m,k]·[k,n], got " + (transposeA ? "T" : "")
                    + Arrays.toString(a.shape()) + "·" + (transposeB ? "T" : "") + Arrays.toString(b.shape()));
        }
        if (out.dim(0) != m || out.dim(1) != n) {
            throw new IllegalArgumentException("matmul output must be [" + m + "," + n + "], got "
                    + Arrays.toString(out.shape()));
        }
        if (out.data() == a.data() || out.data() == b.data()) {
            throw new IllegalArgumentException("matmul output must not alias an input");
        }
    }

    /** All tensors have the same shape (K task vectors, or several outputs of one op). */
    public static void requireAllSame(Tensor first, Tensor... others) {
        for (Tensor t : others) requireSame(first, t);
    }

    /** A per-column vector of {@code x} (a bias, or column sums): exactly x.cols() elements. */
    public static void requireColumnVector(Tensor x, Tensor v, String what) {
        if (v.size() != x.cols()) {
            throw new IllegalArgumentException(what + " must have " + x.cols() + " elements (the columns of "
                    + Arrays.toString(x.shape()) + "), got " + Arrays.toString(v.shape()));
        }
    }

    /** One int per row of {@code x}. */
    public static void requireRowCount(Tensor x, int[] perRow, String what) {
        if (perRow.length != x.rows()) {
            throw new IllegalArgumentException(what + " must have " + x.rows() + " entries (the rows of "
                    + Arrays.toString(x.shape()) + "), got " + perRow.length);
        }
    }

    /** {@code count} elements starting at {@code offset} fit in an array of {@code length}. */
    public static void requireRange(int length, int offset, int count, String what) {
        if (offset < 0 || count < 0 || (long) offset + count > length) {
            throw new IllegalArgumentException(what + ": " + count + " elements at offset " + offset
                    + " do not fit in an array of " + length);
        }
    }

    /** A probability in [0, 1]. */
    public static void requireProbability(float p, String what) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException(what + " must be in [0, 1], got " + p);
        }
    }
}
