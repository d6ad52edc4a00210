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
}
