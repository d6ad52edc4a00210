package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.Parallel.BLOCK;

import org.mtflow.kernels.HalfFloats;
import org.mtflow.kernels.TensorOps.HalfType;

/**
 * F16/BF16 ↔ float32 for the checkpoint readers and writers, which hold no {@link JavaOps}: the Vector
 * API loops when the JVM has the module, on a team shared by every reader (a call while it is busy
 * runs on its caller), the same bits as {@link HalfFloats}. Reading a BF16 checkpoint spent most of a
 * TIES merge's time in the scalar conversion.
 */
public final class HalfCodec {
    private HalfCodec() {}

    /** Created on first use: a JVM that never reads a half tensor starts no thread. */
    private static final class Team {
        static final Parallel PAR = new Parallel(Runtime.getRuntime().availableProcessors());
        static final boolean VECTORS = JavaOps.VECTOR_MODULE && !Boolean.getBoolean("mtflow.kernels.scalar");
    }

    /** {@code dst[at + k] = decode(src[k])} for k < n. */
    public static void decode(short[] src, HalfType type, float[] dst, int at, int n) {
        if (!Team.VECTORS) {
            if (type == HalfType.F16) HalfFloats.fromHalf(src, 0, dst, at, n);
            else HalfFloats.fromBf16(src, 0, dst, at, n);
            return;
        }
        // One lambda per format (see VectorLoops): a shared one gets compiled for one format only.
        if (type == HalfType.F16) {
            Team.PAR.forEach(Parallel.blocks(n), n >= Parallel.MIN_PARALLEL_ELEMENTS,
                    blk -> VectorLoops.decodeRange(src, -at, HalfType.F16, dst, at + blk * BLOCK, at + Math.min(n, blk * BLOCK + BLOCK)));
        } else {
            Team.PAR.forEach(Parallel.blocks(n), n >= Parallel.MIN_PARALLEL_ELEMENTS,
                    blk -> VectorLoops.decodeRange(src, -at, HalfType.BF16, dst, at + blk * BLOCK, at + Math.min(n, blk * BLOCK + BLOCK)));
        }
    }

    /** {@code dst[k] = encode(src[from + k])} for k < n, rounding to nearest even. */
    public static void encode(float[] src, int from, HalfType type, short[] dst, int n) {
        if (!Team.VECTORS) {
            if (type == HalfType.F16) HalfFloats.toHalf(src, from, dst, 0, n);
            else HalfFloats.toBf16(src, from, dst, 0, n);
            return;
        }
        if (type == HalfType.F16) {
            Team.PAR.forEach(Parallel.blocks(n), n >= Parallel.MIN_PARALLEL_ELEMENTS,
                    blk -> VectorLoops.encodeRange(src, from + blk * BLOCK, from + Math.min(n, blk * BLOCK + BLOCK), HalfType.F16, dst, -from));
        } else {
            Team.PAR.forEach(Parallel.blocks(n), n >= Parallel.MIN_PARALLEL_ELEMENTS,
                    blk -> VectorLoops.encodeRange(src, from + blk * BLOCK, from + Math.min(n, blk * BLOCK + BLOCK), HalfType.BF16, dst, -from));
        }
    }
}
