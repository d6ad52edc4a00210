package org.mtflow.kernels.format;

import java.util.Arrays;
import java.util.Objects;

/** A tensor's name, stored dtype and shape: what a header says of it before its data exists. */
public record TensorSpec(String name, Dtype dtype, int[] shape) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        if (name.equals("__metadata__")) throw new IllegalArgumentException("reserved tensor name __metadata__");
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension in " + Arrays.toString(shape));
        }
    }

    @Override
    public int[] shape() { return shape.clone(); }

    public long elements() {
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, (long) d);
        return n;
    }

    /** Bytes of its data as stored. */
    public long bytes() {
        return Math.multiplyExact(elements(), (long) dtype.bits()) / 8;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() { return Objects.hash(name, dtype, Arrays.hashCode(shape)); }

    @Override
    public String toString() { return name + " " + dtype + Arrays.toString(shape); }
}
