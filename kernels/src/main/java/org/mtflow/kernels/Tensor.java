package org.mtflow.kernels;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order. The array is shared, not copied: ops write into the
 * tensors they are given, so callers that keep a tensor must not hand it to an op as an output.
 */
public final class Tensor {
    private final int[] shape;
    private final float[] data;

    private Tensor(int[] shape, float[] data) {
        this.shape = shape;
        this.data = data;
    }

    /** A tensor over {@code data} with the given shape; the element counts must agree. */
    public static Tensor of(float[] data, int... shape) {
        long n = checkShape(shape);
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " holds " + n + " elements, data has " + data.length);
        }
        return new Tensor(shape.clone(), data);
    }

    public static Tensor zeros(int... shape) {
        long n = checkShape(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " exceeds 2^31 elements");
        }
        return new Tensor(shape.clone(), new float[(int) n]);
    }

    /** A tensor of the same shape as {@code like}, filled with zeros. */
    public static Tensor zerosLike(Tensor like) {
        return new Tensor(like.shape.clone(), new float[like.data.length]);
    }

    private static long checkShape(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public int dim(int axis) { return shape[axis]; }

    public int size() { return data.length; }

    /** The backing array (row-major). */
    public float[] data() { return data; }

    /** Rows of this tensor viewed as a matrix: the product of all dimensions but the last. */
    public int rows() {
        if (shape.length == 0) return 1;
        int r = 1;
        for (int i = 0; i < shape.length - 1; i++) r *= shape[i];
        return r;
    }

    /** Columns of this tensor viewed as a matrix: its last dimension (1 for a scalar). */
    public int cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    public boolean sameShape(Tensor other) { return Arrays.equals(shape, other.shape); }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
