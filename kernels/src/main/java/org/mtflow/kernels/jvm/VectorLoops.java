package org.mtflow.kernels.jvm;

import static org.mtflow.kernels.jvm.Parallel.BLOCK;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.mtflow.kernels.HalfFloats;
import org.mtflow.kernels.TensorOps.HalfType;
import org.mtflow.kernels.random.Philox;

/**
 * The loops C2 (Java 17) leaves scalar, written with the Vector API (incubator module
 * {@code jdk.incubator.vector}): float↔int bit moves (the F16/BF16 casts), float reductions, the
 * mask, the COUNT sign election, top-k's pass 2 and Philox draws (DARE's drop, uniform). Only
 * {@link JavaOps} calls this class, and only when the JVM has the module (loading this class
 * without it fails): the plain loops in the other classes are the path without it.
 *
 * <p>Exact ops give the scalar path's bits (the same formulas, lane by lane). Reductions keep the
 * backend's rule (float within a fixed block, blocks in double) but add a block in lanes, and the
 * lanes in a fixed order, so their last bits differ from the scalar path's, never between runs or
 * thread counts.
 */
final class VectorLoops {
    private VectorLoops() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Shorts with as many lanes as F: half its bits. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    /** Floats with as many lanes as D. */
    private static final VectorSpecies<Float> FD = VectorSpecies.of(float.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();

    // ---------------------------------------------------------------- Philox draws

    /** 64-bit lanes, one Philox4x32 block (four words, four elements) each: 32x32→64-bit products. */
    private static final VectorSpecies<Long> W = VectorSpecies.of(long.class, F.vectorShape());
    private static final int NB = W.length();
    private static final long LOW = 0xFFFFFFFFL;
    /**
     * The block each lane of a step computes: lane 2m block m, lane 2m + 1 block NB/2 + m. Then the
     * step's words land in element order with one pair swap and two blends (see {@link #philoxSteps}).
     */
    private static final LongVector BLOCK_OF_LANE = LongVector.fromArray(W, blockOfLane(), 0);
    private static final VectorShuffle<Long> SWAP_PAIRS = VectorShuffle.fromOp(W, j -> j ^ 1);
    private static final VectorMask<Long> ODD_LANES = VectorMask.fromArray(W, oddLanes(), 0);

    private static long[] blockOfLane() {
        long[] b = new long[NB];
        for (int j = 0; j < NB; j++) b[j] = j % 2 == 0 ? j / 2 : NB / 2 + j / 2;
        return b;
    }

    private static boolean[] oddLanes() {
        boolean[] odd = new boolean[NB];
        for (int j = 0; j < NB; j++) odd[j] = j % 2 == 1;
        return odd;
    }

    /** {@link JavaMerge#dropAndRescale} for an offset on the 4-element grid, with the draws in vectors. */
    static void dropAndRescale(Parallel par, float[] x, float p, long seed, long stream, long offset, float[] out) {
        int threshold = JavaMerge.dropThreshold(p);
        float scale = 1f / (1f - p);
        par.forEach(Parallel.blocks(out.length), out.length >= Parallel.MIN_PARALLEL_ELEMENTS / 16, blk -> {
            int lo = blk * BLOCK, hi = Math.min(out.length, lo + BLOCK);
            int i = philoxSteps(lo, hi, seed, stream, offset, x, threshold, scale, 0, 0, out);
            for (; i < hi; i++) out[i] = (Philox.bits(seed, stream, offset + i) >>> 8) >= threshold ? x[i] * scale : 0f;
        });
    }

    /** {@link Philox#fillUniform} of z (draws offset.. of the stream) for an offset on the 4-element grid. */
    static void uniform(Parallel par, long seed, long stream, long offset, float lo, float hi, float[] z) {
        par.forEach(Parallel.blocks(z.length), z.length >= Parallel.MIN_PARALLEL_ELEMENTS / 16, blk -> {
            int from = blk * BLOCK, to = Math.min(z.length, from + BLOCK);
            int i = philoxSteps(from, to, seed, stream, offset, null, 0, 0, lo, hi, z);
            Philox.fillUniform(z, i, to, seed, stream, offset, lo, hi);
        });
    }

    /**
     * Steps of NB Philox blocks (4·NB elements) over out[from, to) while they fit; returns where they
     * stopped. With x: DARE's drop-and-rescale of x (threshold, scale); without (null): uniform draws
     * in [lo, hi). Each 64-bit lane runs one block's ten rounds (the products exact in 64 bits, each
     * word kept in a lane's low half); the words of lane j are packed two per lane, (w0, w1) and
     * (w2, w3), and a pair swap plus two blends put them in element order: even lanes hold blocks
     * 0..NB/2-1, the odd lanes the rest. One method, not helpers: C2 must inline every vector
     * operation (it unswitches the loop on x).
     */
    private static int philoxSteps(int from, int to, long seed, long stream, long offset, float[] x, int threshold,
            float scale, float lo, float hi, float[] out) {
        long m0 = Philox.M0 & LOW, m1 = Philox.M1 & LOW;
        LongVector zero = LongVector.zero(W), s0 = LongVector.broadcast(W, stream & LOW),
                s1 = LongVector.broadcast(W, stream >>> 32);
        FloatVector scales = FloatVector.broadcast(F, scale);
        IntVector thresholds = IntVector.broadcast(I, threshold);
        float width = hi - lo, cap = Math.nextDown(hi);
        int i = from;
        for (; i + 4 * NB <= to; i += 4 * NB) {
            LongVector c0 = BLOCK_OF_LANE.add((offset + i) >>> 2).and(LOW), c1 = zero, c2 = s0, c3 = s1;
            long k0 = seed & LOW, k1 = seed >>> 32;
            for (int round = 0; round < 10; round++) {
                LongVector p0 = c0.mul(m0), p1 = c2.mul(m1);
                c0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c1).lanewise(VectorOperators.XOR, k0);
                c1 = p1.and(LOW);
                c2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c3).lanewise(VectorOperators.XOR, k1);
                c3 = p0.and(LOW);
                k0 = (k0 + Philox.W0) & LOW;
                k1 = (k1 + Philox.W1) & LOW;
            }
            LongVector w01 = c0.or(c1.lanewise(VectorOperators.LSHL, 32)), w23 = c2.or(c3.lanewise(VectorOperators.LSHL, 32));
            IntVector top0 = w01.blend(w23.rearrange(SWAP_PAIRS), ODD_LANES).reinterpretAsInts().lanewise(VectorOperators.LSHR, 8);
            IntVector top1 = w01.rearrange(SWAP_PAIRS).blend(w23, ODD_LANES).reinterpretAsInts().lanewise(VectorOperators.LSHR, 8);
            if (x != null) {
                FloatVector.fromArray(F, x, i).mul(scales)
                        .blend(0f, top0.compare(VectorOperators.LT, thresholds).cast(F)).intoArray(out, i);
                FloatVector.fromArray(F, x, i + L).mul(scales)
                        .blend(0f, top1.compare(VectorOperators.LT, thresholds).cast(F)).intoArray(out, i + L);
            } else {
                // toUnitFloat is exact (24 bits), then one fma, as Philox.toUniform.
                ((FloatVector) top0.convert(VectorOperators.I2F, 0)).mul(0x1.0p-24f).fma(width, lo).min(cap).intoArray(out, i);
                ((FloatVector) top1.convert(VectorOperators.I2F, 0)).mul(0x1.0p-24f).fma(width, lo).min(cap).intoArray(out, i + L);
            }
        }
        return i;
    }

    // ---------------------------------------------------------------- top-k

    /**
     * JavaTopk's pass 1 over x[from, to): {@code h[bits of |x| >>> 16]++}. The buckets of
     * {@code buckets.length} elements at a time are computed by vectors into {@code buckets}, then
     * counted by a scalar loop that only loads, increments and stores: 18-25 % faster than the staged
     * scalar loop (4M floats, alternating runs in one JVM).
     */
    static void highBitsHistogram(float[] x, int from, int to, int[] buckets, int[] h) {
        for (int s = from; s < to; s += buckets.length) {
            int len = Math.min(buckets.length, to - s);
            int i = 0;
            for (; i + L <= len; i += L) {
                FloatVector.fromArray(F, x, s + i).reinterpretAsInts().and(0x7fffffff)
                        .lanewise(VectorOperators.LSHR, 16).intoArray(buckets, i);
            }
            for (; i < len; i++) buckets[i] = (Float.floatToRawIntBits(x[s + i]) & 0x7fffffff) >>> 16;
            for (int j = 0; j < len; j++) h[buckets[j]]++;
        }
    }

    /**
     * JavaTopk's pass 2 over x[from, to): {@code h[key & 0xffff]++} for the finite keys whose high
     * bits are {@code prefix}. One compare per vector; the rare vector holding such a key (a few
     * percent) is counted lane by lane from x, still in L1.
     */
    static void lowBitsHistogram(float[] x, int from, int to, int prefix, int[] h) {
        int i = from;
        for (; i + L <= to; i += L) {
            IntVector high = FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7fffffff).lanewise(VectorOperators.LSHR, 16);
            if (high.compare(VectorOperators.EQ, prefix).anyTrue()) {
                for (int l = i; l < i + L; l++) lowBit(x[l], prefix, h);
            }
        }
        for (; i < to; i++) lowBit(x[i], prefix, h);
    }

    private static void lowBit(float v, int prefix, int[] h) {
        int kk = Float.floatToRawIntBits(v) & 0x7fffffff;
        if (kk >>> 16 == prefix) h[kk & 0xffff]++;
    }

    // ---------------------------------------------------------------- casts

    /** {@code z[i] = decode(in[offset + i])} for i in [lo, hi) on the calling thread (offset may be negative). */
    static void decodeRange(short[] in, int offset, HalfType type, float[] z, int lo, int hi) {
        if (type == HalfType.F16) fromHalf(in, offset, z, lo, hi);
        else fromBf16(in, offset, z, lo, hi);
    }

    /** {@code out[offset + i] = encode(x[i])} for i in [lo, hi) on the calling thread (offset may be negative). */
    static void encodeRange(float[] x, int lo, int hi, HalfType type, short[] out, int offset) {
        if (type == HalfType.F16) toHalf(x, lo, hi, out, offset);
        else toBf16(x, lo, hi, out, offset);
    }

    // One method and one lambda per format: a shared lambda whose profile saw only one format got
    // recompiled for the other without inlining the vector ops (BF16 then ran at a quarter speed).
    static void encodeF16(Parallel par, float[] x, short[] out, int offset) {
        par.forEachBlock(x.length, blk -> toHalf(x, blk * BLOCK, Math.min(x.length, blk * BLOCK + BLOCK), out, offset));
    }

    static void encodeBf16(Parallel par, float[] x, short[] out, int offset) {
        par.forEachBlock(x.length, blk -> toBf16(x, blk * BLOCK, Math.min(x.length, blk * BLOCK + BLOCK), out, offset));
    }

    static void decodeF16(Parallel par, short[] in, int offset, float[] z) {
        par.forEachBlock(z.length, blk -> fromHalf(in, offset, z, blk * BLOCK, Math.min(z.length, blk * BLOCK + BLOCK)));
    }

    static void decodeBf16(Parallel par, short[] in, int offset, float[] z) {
        par.forEachBlock(z.length, blk -> fromBf16(in, offset, z, blk * BLOCK, Math.min(z.length, blk * BLOCK + BLOCK)));
    }

    /**
     * How far ahead of the vector being converted the cast loops load one element of each cache line:
     * a load the hardware prefetcher did not issue yet, so more lines stream in at once. On this VM it
     * took the F16 encode of 32M floats from 10.6 ms (77 % of the copy bandwidth) to 7.8–9.4 ms
     * (92–107 %); 512 to 4096 elements ahead did alike. The four cast loops are written out, not
     * shared through a lambda: C2 must inline each one's vector step.
     */
    private static final int AHEAD = 1024;
    /** Keeps the look-ahead loads: C2 drops a load whose value nothing uses. */
    @SuppressWarnings("unused")
    private static int ahead;

    /** {@code out[offset + i] = floatToHalf(x[i])} for i in [lo, hi), vectors with look-ahead loads. */
    private static void toHalf(float[] x, int lo, int hi, short[] out, int offset) {
        int i = lo, touched = 0;
        for (int far = Math.min(hi, x.length - AHEAD) - L; i <= far; i += L) {
            touched += Float.floatToRawIntBits(x[i + AHEAD]);
            toHalf(x, i, out, offset + i);
        }
        for (; i + L <= hi; i += L) toHalf(x, i, out, offset + i);
        for (; i < hi; i++) out[offset + i] = HalfFloats.floatToHalf(x[i]);
        ahead = touched;
    }

    /**
     * {@link HalfFloats#floatToHalf} of one vector, lane by lane. Normal halves round in integers
     * (rebias 127 → 15, 23 → 10 mantissa bits, ties to even). Vectors with a lane outside that range take a branch:
     * below 2^-14 (subnormal halves, zero) a float add of 0.5 rounds |f| to a multiple of 2^-24
     * (ties to even, as every float add), whose low bits are then the half's bits; ∞ and NaN are
     * set from the bits. (Computing those cases for every vector cost ~15 % of the throughput.)
     */
    private static void toHalf(float[] x, int i, short[] out, int at) {
        IntVector w = FloatVector.fromArray(F, x, i).reinterpretAsInts();
        IntVector abs = w.and(0x7fffffff);
        IntVector h = abs.add(0x0fff - 0x38000000).add(abs.lanewise(VectorOperators.LSHR, 13).and(1))
                .lanewise(VectorOperators.LSHR, 13);
        // Outside 2^-14 ≤ |f| < 65520: one signed compare of abs shifted by MIN_VALUE (an unsigned range test).
        VectorMask<Integer> special = abs.add(Integer.MIN_VALUE - 0x38800000)
                .compare(VectorOperators.GE, Integer.MIN_VALUE + (0x477ff000 - 0x38800000));
        if (special.anyTrue()) {
            IntVector small = abs.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3f000000);
            h = h.blend(small, abs.compare(VectorOperators.LT, 0x38800000));
            // ≥ 65520 rounds to ∞; NaN stays NaN, forced quiet, with the payload's top bits.
            IntVector nan = abs.lanewise(VectorOperators.LSHR, 13).and(0x3ff).or(0x7e00);
            h = h.blend(0x7c00, abs.compare(VectorOperators.GE, 0x477ff000))
                    .blend(nan, abs.compare(VectorOperators.GT, 0x7f800000));
        }
        h = h.or(w.lanewise(VectorOperators.LSHR, 16).and(0x8000));
        ((ShortVector) h.convertShape(VectorOperators.I2S, S, 0)).intoArray(out, at);
    }

    /** {@code out[offset + i] = floatToBf16(x[i])} for i in [lo, hi), vectors with look-ahead loads. */
    private static void toBf16(float[] x, int lo, int hi, short[] out, int offset) {
        int i = lo, touched = 0;
        for (int far = Math.min(hi, x.length - AHEAD) - L; i <= far; i += L) {
            touched += Float.floatToRawIntBits(x[i + AHEAD]);
            toBf16(x, i, out, offset + i);
        }
        for (; i + L <= hi; i += L) toBf16(x, i, out, offset + i);
        for (; i < hi; i++) out[offset + i] = HalfFloats.floatToBf16(x[i]);
        ahead = touched;
    }

    /** {@link HalfFloats#floatToBf16} of one vector, lane by lane. */
    private static void toBf16(float[] x, int i, short[] out, int at) {
        IntVector w = FloatVector.fromArray(F, x, i).reinterpretAsInts();
        IntVector top = w.lanewise(VectorOperators.LSHR, 16);
        IntVector b = w.add(0x7fff).add(top.and(1)).lanewise(VectorOperators.LSHR, 16);
        b = b.blend(top.or(0x0040), w.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000));
        // I2S keeps the low 16 bits, as the (short) cast does.
        ((ShortVector) b.convertShape(VectorOperators.I2S, S, 0)).intoArray(out, at);
    }

    /** {@code z[i] = halfToFloat(in[offset + i])} for i in [lo, hi), vectors with look-ahead loads. */
    private static void fromHalf(short[] in, int offset, float[] z, int lo, int hi) {
        int i = lo, touched = 0;
        for (int far = Math.min(hi, in.length - offset - AHEAD) - L; i <= far; i += L) {
            touched += in[offset + i + AHEAD];
            fromHalf(in, offset + i, z, i);
        }
        for (; i + L <= hi; i += L) fromHalf(in, offset + i, z, i);
        for (; i < hi; i++) z[i] = HalfFloats.halfToFloat(in[offset + i]);
        ahead = touched;
    }

    /**
     * {@link HalfFloats#halfToFloat} of one vector, lane by lane: (h & 0x7fff) << 13 read as a float
     * is the half's magnitude · 2^-112 (subnormal halves included), so one exact multiply by 2^112
     * decodes every finite half; ∞ and NaN (exponent 31) are built from the bits.
     */
    private static void fromHalf(short[] in, int at, float[] z, int i) {
        IntVector h = ((IntVector) ShortVector.fromArray(S, in, at).convertShape(VectorOperators.S2I, I, 0)).and(0xffff);
        IntVector mag = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        IntVector bits = mag.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        bits = bits.blend(mag.or(0x7f800000), mag.compare(VectorOperators.GE, 0x0f800000));
        bits = bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16));
        bits.reinterpretAsFloats().intoArray(z, i);
    }

    /** {@code z[i] = bf16ToFloat(in[offset + i])} for i in [lo, hi), vectors with look-ahead loads. */
    private static void fromBf16(short[] in, int offset, float[] z, int lo, int hi) {
        int i = lo, touched = 0;
        for (int far = Math.min(hi, in.length - offset - AHEAD) - L; i <= far; i += L) {
            touched += in[offset + i + AHEAD];
            fromBf16(in, offset + i, z, i);
        }
        for (; i + L <= hi; i += L) fromBf16(in, offset + i, z, i);
        for (; i < hi; i++) z[i] = HalfFloats.bf16ToFloat(in[offset + i]);
        ahead = touched;
    }

    /** {@link HalfFloats#bf16ToFloat} of one vector: S2I sign-extends; the shift drops those bits. */
    private static void fromBf16(short[] in, int at, float[] z, int i) {
        IntVector h = (IntVector) ShortVector.fromArray(S, in, at).convertShape(VectorOperators.S2I, I, 0);
        h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(z, i);
    }

    // ---------------------------------------------------------------- reductions

    /** Adds the lanes of v in lane order (reduceLanes leaves the order of float adds open). */
    private static float lanesInOrder(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0f;
        for (float f : lanes) s += f;
        return s;
    }

    private static double lanesInOrder(DoubleVector v) {
        double[] lanes = v.toArray();
        double s = 0;
        for (double d : lanes) s += d;
        return s;
    }

    /** Σ x: each block in float (four vector accumulators), the blocks in double. */
    static double sum(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK), i = lo;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (; i + 4 * L <= hi; i += 4 * L) {
                s0 = s0.add(FloatVector.fromArray(F, x, i));
                s1 = s1.add(FloatVector.fromArray(F, x, i + L));
                s2 = s2.add(FloatVector.fromArray(F, x, i + 2 * L));
                s3 = s3.add(FloatVector.fromArray(F, x, i + 3 * L));
            }
            float s = lanesInOrder(s0.add(s1).add(s2.add(s3)));
            for (; i < hi; i++) s += x[i];
            partial[blk] = s;
        });
        return JavaReduce.total(partial);
    }

    /** Σ |x|, as {@link #sum}; its own method and lambda (see the casts). */
    static double norm1(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK), i = lo;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (; i + 4 * L <= hi; i += 4 * L) {
                s0 = s0.add(FloatVector.fromArray(F, x, i).abs());
                s1 = s1.add(FloatVector.fromArray(F, x, i + L).abs());
                s2 = s2.add(FloatVector.fromArray(F, x, i + 2 * L).abs());
                s3 = s3.add(FloatVector.fromArray(F, x, i + 3 * L).abs());
            }
            float s = lanesInOrder(s0.add(s1).add(s2.add(s3)));
            for (; i < hi; i++) s += Math.abs(x[i]);
            partial[blk] = s;
        });
        return JavaReduce.total(partial);
    }

    /**
     * Σ x². Runs of 32 squares per lane are added in float (four accumulators of 8 fmas each, then
     * their sum: about 10 roundings), the runs in double: the same pace as {@link #sum}, where converting every element to double
     * kept the loop at ~55 % of it from memory. A block whose total is not finite (float squares
     * overflow above 1.8e19; ∞ or NaN inputs) is added again in double throughout.
     */
    static double sumSquares(Parallel par, float[] x) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK);
            double s = sumSquaresByRuns(x, lo, hi);
            partial[blk] = Double.isFinite(s) ? s : sumSquaresInDouble(x, lo, hi);
        });
        return JavaReduce.total(partial);
    }

    private static double sumSquaresByRuns(float[] x, int lo, int hi) {
        int i = lo;
        DoubleVector d0 = DoubleVector.zero(D), d1 = d0;
        while (i + 32 * L <= hi) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int end = i + 32 * L; i < end; i += 4 * L) {
                FloatVector a = FloatVector.fromArray(F, x, i), b = FloatVector.fromArray(F, x, i + L);
                FloatVector c = FloatVector.fromArray(F, x, i + 2 * L), d = FloatVector.fromArray(F, x, i + 3 * L);
                s0 = a.fma(a, s0);
                s1 = b.fma(b, s1);
                s2 = c.fma(c, s2);
                s3 = d.fma(d, s3);
            }
            FloatVector run = s0.add(s1).add(s2.add(s3));
            d0 = d0.add((DoubleVector) run.convertShape(VectorOperators.F2D, D, 0));
            d1 = d1.add((DoubleVector) run.convertShape(VectorOperators.F2D, D, 1));
        }
        return lanesInOrder(d0.add(d1)) + sumSquaresInDouble(x, i, hi);
    }

    private static double sumSquaresInDouble(float[] x, int lo, int hi) {
        int dl = D.length(), i = lo;
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
        for (; i + 2 * dl <= hi; i += 2 * dl) {
            DoubleVector v0 = (DoubleVector) FloatVector.fromArray(FD, x, i).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector v1 = (DoubleVector) FloatVector.fromArray(FD, x, i + dl).convertShape(VectorOperators.F2D, D, 0);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
        }
        double s = lanesInOrder(s0.add(s1));
        for (; i < hi; i++) s = Math.fma((double) x[i], x[i], s);
        return s;
    }

    /** Σ x·y: float fmas within a block, the blocks in double. */
    static double dot(Parallel par, float[] x, float[] y) {
        double[] partial = new double[Parallel.blocks(x.length)];
        par.forEachBlock(x.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(x.length, lo + BLOCK), i = lo;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (; i + 4 * L <= hi; i += 4 * L) {
                s0 = FloatVector.fromArray(F, x, i).fma(FloatVector.fromArray(F, y, i), s0);
                s1 = FloatVector.fromArray(F, x, i + L).fma(FloatVector.fromArray(F, y, i + L), s1);
                s2 = FloatVector.fromArray(F, x, i + 2 * L).fma(FloatVector.fromArray(F, y, i + 2 * L), s2);
                s3 = FloatVector.fromArray(F, x, i + 3 * L).fma(FloatVector.fromArray(F, y, i + 3 * L), s3);
            }
            float s = lanesInOrder(s0.add(s1).add(s2.add(s3)));
            for (; i < hi; i++) s = Math.fma(x[i], y[i], s);
            partial[blk] = s;
        });
        return JavaReduce.total(partial);
    }

    /** {@code z = x > 0 ? g : 0} (a NaN x gives 0, as in Java): a ternary C2 does not vectorize. */
    static void reluBackward(Parallel par, float[] x, float[] g, float[] z) {
        par.forEachBlock(z.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(z.length, lo + BLOCK), i = lo;
            FloatVector zero = FloatVector.zero(F);
            for (; i + L <= hi; i += L) {
                VectorMask<Float> pass = FloatVector.fromArray(F, x, i).compare(VectorOperators.GT, 0f);
                zero.blend(FloatVector.fromArray(F, g, i), pass).intoArray(z, i);
            }
            for (; i < hi; i++) z[i] = x[i] > 0f ? g[i] : 0f;
        });
    }

    // ---------------------------------------------------------------- merging

    /** {@code mask = |a| ≥ t ? 1 : 0}: a NaN element or t compares false, as in Java. */
    static void maskAtLeast(Parallel par, float[] x, float t, float[] mask) {
        par.forEachBlock(mask.length, blk -> {
            int lo = blk * BLOCK, hi = Math.min(mask.length, lo + BLOCK), i = lo;
            FloatVector zero = FloatVector.zero(F);
            for (; i + L <= hi; i += L) {
                VectorMask<Float> keep = FloatVector.fromArray(F, x, i).abs().compare(VectorOperators.GE, t);
                zero.blend(1f, keep).intoArray(mask, i);
            }
            for (; i < hi; i++) mask[i] = Math.abs(x[i]) >= t ? 1f : 0f;
        });
    }

    /** The scalar path's sign step min(max(v·2^149, −1), 1): ±0 and NaN kept, Math.max/min semantics. */
    private static FloatVector sgn(FloatVector v) {
        return v.mul(JavaElementwise.S1).mul(JavaElementwise.S2).max(-1f).min(1f);
    }

    /** COUNT: {@code sign(Σ sign(x_k))} in one pass over all inputs; the count is exact in float. */
    static void electCount(Parallel par, float[][] xs, float[] out) {
        int n = out.length;
        par.forEachBlock(n, blk -> {
            int lo = blk * BLOCK, hi = Math.min(n, lo + BLOCK), i = lo;
            for (; i + L <= hi; i += L) {
                FloatVector c = sgn(FloatVector.fromArray(F, xs[0], i));
                for (int k = 1; k < xs.length; k++) c = c.add(sgn(FloatVector.fromArray(F, xs[k], i)));
                sgn(c).add(0f).intoArray(out, i); // + 0f: −0 becomes +0
            }
            for (; i < hi; i++) {
                float c = Math.signum(xs[0][i]);
                for (int k = 1; k < xs.length; k++) c += Math.signum(xs[k][i]);
                out[i] = Math.signum(c) + 0f;
            }
        });
    }
}
