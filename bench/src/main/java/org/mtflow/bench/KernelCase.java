package org.mtflow.bench;

import java.util.function.IntFunction;
import org.mtflow.kernels.TensorOps;

/**
 * One row family of the kernel bench: an op (and variant) of {@link TensorOps}, how to prepare its
 * inputs for a size, and the work and traffic models its figures are computed from.
 *
 * @param op      the TensorOps method name, e.g. {@code matmul}
 * @param variant which form of it, e.g. {@code At*B} or {@code BF16}; {@code -} when there is one
 * @param kind    which figure is the headline and which target applies
 * @param model   the flop and byte model, in words, for --list and the README
 * @param label   the size as printed, from the size argument
 * @param prepare allocates and fills the inputs for one size
 */
record KernelCase(String op, String variant, Kind kind, String model, IntFunction<String> label,
        IntFunction<Prepared> prepare) {

    enum Kind {
        /** GFLOP/s; target at n = 1024: JVM ≥ 100, OpenCL ≥ 80. */
        MATMUL,
        /** GFLOP/s headline, GB/s and the copy ratio for information; no target. */
        COMPUTE,
        /** GB/s; target ≥ 80 % of the copy reference. */
        MEMORY,
        /** G elements/s; target ≥ 1. */
        SELECT,
        /**
         * G elements/s headline, GB/s and the copy ratio for information; no target: the
         * in-kernel Philox4x32-10 draws (20 products of 32×32→64 bits per 4 elements) bound these
         * ops, not memory. The draws alone take longer than copying the bytes on this CPU.
         */
        RANDOM
    }

    /** Inputs for one size, ready to run. Dropping the reference frees them. */
    interface Prepared {
        /** Floating-point operations of one call (0 when the op is not counted in flops). */
        double flops();

        /** Bytes one call must move at least: every input read once, every output written once. */
        double bytes();

        /** Elements one call processes (for G elements/s). */
        double elements();

        /**
         * Runs the op once on fresh inputs (outputs poisoned with NaN first) and spot-checks the
         * result against a scalar reference.
         *
         * @return null when the result is right, else what is wrong
         */
        String first(TensorOps ops);

        /** One more call (inputs updated in place by earlier calls, for the in-place ops). */
        void run(TensorOps ops);
    }
}
