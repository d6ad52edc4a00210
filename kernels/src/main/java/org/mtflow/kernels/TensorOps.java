package org.mtflow.kernels;

/**
 * The op set that compute nodes are written against. Each device is served by one implementation:
 * {@link org.mtflow.kernels.jvm.JavaOps} (plain Java) or {@link org.mtflow.kernels.aparapi.AparapiOps}
 * (OpenCL through Aparapi). Results agree across backends to float tolerance; ops that draw random
 * numbers agree bit for bit.
 */
public interface TensorOps extends AutoCloseable {

    /** A short name for logs and reports, e.g. {@code java} or {@code opencl:pthread-cpu}. */
    String name();

    /** {@code out = a · b} for a [m,k] and b [k,n]; out must be [m,n] and distinct from a and b. */
    void matmul(Tensor a, Tensor b, Tensor out);

    /** {@code out = a + b}, elementwise over tensors of one shape; out may alias a or b. */
    void add(Tensor a, Tensor b, Tensor out);

    /** {@code out = s · a}; out may alias a. */
    void scale(Tensor a, float s, Tensor out);

    /** The sum of all elements (accumulated in at least float32 per block, blocks in float64). */
    double sum(Tensor a);

    default Tensor matmul(Tensor a, Tensor b) {
        Shapes.requireMatmul(a, b);
        Tensor out = Tensor.zeros(a.dim(0), b.dim(1));
        matmul(a, b, out);
        return out;
    }

    default Tensor add(Tensor a, Tensor b) {
        Tensor out = Tensor.zerosLike(a);
        add(a, b, out);
        return out;
    }

    default Tensor scale(Tensor a, float s) {
        Tensor out = Tensor.zerosLike(a);
        scale(a, s, out);
        return out;
    }

    @Override
    default void close() {}
}
