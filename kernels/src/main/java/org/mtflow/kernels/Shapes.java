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
     * {@code out = op(a)·op(b)}: a is [m,k] (or [k,m] when transposeA), b is [k,n] (or [n,k] when
     * transposeB), out is [m,n] and aliases neither.
     */
    public static void requireMatmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        if (a.rank() != 2 || b.rank() != 2 || out.rank() != 2) {
            throw new IllegalArgumentException("matmul needs rank-2 tensors, got " + Arrays.toString(a.shape())
                    + ", " + Arrays.toString(b.shape()) + " -> " + Arrays.toString(out.shape()));
        }
        int m = a.dim(transposeA ? 1 : 0), k = a.dim(transposeA ? 0 : 1);
        int kb = b.dim(transposeB ? 1 : 0), n = b.dim(transposeB ? 0 : 1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul inner dimensions differ: " + describe(a, transposeA) + "·"
                    + describe(b, transposeB));
        }
        if (out.dim(0) != m || out.dim(1) != n) {
            throw new IllegalArgumentException("matmul output must be [" + m + "," + n + "] for "
                    + describe(a, transposeA) + "·" + describe(b, transposeB) + ", got " + Arrays.toString(out.shape()));
        }
        if (out.data() == a.data() || out.data() == b.data()) {
            throw new IllegalArgumentException("matmul output must not alias an input");
        }
    }

    private static String describe(Tensor t, boolean transposed) {
        return Arrays.toString(t.shape()) + (transposed ? "ᵀ" : "");
    }

    /** K ≥ 1 task vectors, all shaped like out, none of them out itself (out is written as they are read). */
    public static void requireMerge(Tensor[] xs, Tensor out) {
        if (xs.length == 0) throw new IllegalArgumentException("needs at least one input tensor");
        for (Tensor x : xs) {
            requireSame(x, out);
            if (x.data() == out.data()) throw new IllegalArgumentException("merge output must not alias an input");
        }
    }

    /** {@code bias} has as many elements as x has columns; out is shaped like x. */
    public static void requireBias(Tensor x, Tensor bias, Tensor out) {
        if (bias.size() != x.cols()) {
            throw new IllegalArgumentException("bias of " + bias.size() + " elements for " + x.cols() + " columns of "
                    + Arrays.toString(x.shape()));
        }
        requireSame(x, out);
    }

    /** {@code out} has one element per column of x. */
    public static void requireColumnSums(Tensor x, Tensor out) {
        if (out.size() != x.cols()) {
            throw new IllegalArgumentException("column sums of " + Arrays.toString(x.shape()) + " need " + x.cols()
                    + " elements, got " + Arrays.toString(out.shape()));
        }
        if (out.data() == x.data()) throw new IllegalArgumentException("column sums must not alias the input");
    }

    /** a is [len(x), len(y)]. */
    public static void requireOuter(Tensor x, Tensor y, Tensor a) {
        if (a.rank() != 2 || a.dim(0) != x.size() || a.dim(1) != y.size()) {
            throw new IllegalArgumentException("outer product of " + x.size() + " and " + y.size()
                    + " elements needs a [" + x.size() + "," + y.size() + "] tensor, got " + Arrays.toString(a.shape()));
        }
    }

    /** One int per row of a. */
    public static void requireRowOutput(Tensor a, int[] out) {
        if (out.length != a.rows()) {
            throw new IllegalArgumentException("one result per row of " + Arrays.toString(a.shape()) + " needs "
                    + a.rows() + " slots, got " + out.length);
        }
    }

    /** {@code n} 16-bit values fit in {@code array} from {@code offset}. */
    public static void requireHalfRange(int n, short[] array, int offset) {
        if (offset < 0 || (long) offset + n > array.length) {
            throw new IllegalArgumentException(n + " 16-bit values from offset " + offset + " do not fit an array of "
                    + array.length);
        }
    }

    /** One label per row of logits, each a valid class; grad (when given) is shaped like logits. */
    public static void requireLabels(Tensor logits, int[] labels, Tensor grad) {
        if (labels.length != logits.rows()) {
            throw new IllegalArgumentException(labels.length + " labels for " + logits.rows() + " rows of "
                    + Arrays.toString(logits.shape()));
        }
        int classes = logits.cols();
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] < 0 || labels[r] >= classes) {
                throw new IllegalArgumentException("label " + labels[r] + " of row " + r + " outside [0," + classes + ")");
            }
        }
        if (grad != null) requireSame(logits, grad);
    }

    /** A probability in [0, 1]. */
    public static void requireProbability(float p) {
        if (!(p >= 0f && p <= 1f)) throw new IllegalArgumentException("probability must be in [0,1], got " + p);
    }

    /** A Philox draw offset: elements offset .. offset + size must index draws below 2^34 (32-bit block counters). */
    public static void requireDrawOffset(long offset, long size) {
        if (offset < 0 || offset > (1L << 34) - size) {
            throw new IllegalArgumentException("draw offset must be in [0, 2^34 - " + size + "], got " + offset);
        }
    }

    /** A count that may not be negative. */
    public static void requireNonNegative(String what, long k) {
        if (k < 0) throw new IllegalArgumentException(what + " must be >= 0, got " + k);
    }

    /** A non-empty range [lo, hi) of finite width. */
    public static void requireRange(float lo, float hi) {
        if (!(lo < hi && Float.isFinite(hi - lo))) {
            throw new IllegalArgumentException("need lo < hi of finite width, got [" + lo + ", " + hi + ")");
        }
    }

    /** An optimizer step counted from 1. */
    public static void requireStep(int step) {
        if (step < 1) throw new IllegalArgumentException("optimizer step counts from 1, got " + step);
    }
}
