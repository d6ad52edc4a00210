package org.mtflow.kernels.aparapi;

/**
 * The passes of the magnitude top-k threshold, over the bits v of |x| (which order like the
 * magnitudes). {@link AparapiOps#topkThreshold} drives them; the host only adds per-work-item counts
 * and scans small histograms.
 *
 * <ul>
 *   <li>{@link #BRACKET}: one pass over work-item w's elements, in sub-chunks of {@link #SUB}
 *       (which stay in L1): count the v inside [lo, hi] and above hi (vectorized), reserve that
 *       many slots of {@code bits} and one spare with an atomic add on {@code fill[0]}, and copy
 *       the candidates there (re-read from L1; blocks of 8 are counted first and only blocks that
 *       hold a candidate are compacted, element by element); the spare slot gets −1, a value no
 *       later pass counts. Slots past {@code cap} are never written: those candidates are only
 *       counted as lost. {@code counts[3w …]}: inside, above, lost. Candidates land in an order
 *       that depends on timing; what is selected from them does not.
 *   <li>{@link #HIST}: a histogram of the digit {@code (v >>> shift) & (bins − 1)} over the v
 *       inside [lo, hi], where v is |a[i]|'s bits or, when {@code fromBits}, {@code bits[i]}
 *       (gathered candidates). CPU: four histograms per work-item ({@code hist[(4w + j)·bins …]},
 *       element i counting in histogram i % 4), since clustered data hits one bin many times in a
 *       row; GPU ({@code atomic}): one shared histogram and atomic adds, elements w, w + stride, ….
 * </ul>
 */
public final class TopkKernel extends BitsKernel {
    static final int HIST = 0;
    static final int BRACKET = 1;
    /** Histograms per work-item on a CPU. */
    static final int WAYS = 4;
    static final int BLOCK = 8;
    /** BRACKET: elements counted, then compacted, at a time (16 KB of floats). */
    static final int SUB = 4096;

    float[] a = new float[1];
    int[] bits = new int[1];
    int[] hist = new int[1];
    int[] counts = new int[3];
    /** BRACKET: the slots of bits; fill[0] counts those reserved. */
    int cap;
    int[] fill = new int[1];
    int op;
    int fromBits;
    int n;
    int chunk = 1 << 20;
    int stride = 1;
    int atomic;
    int shift;
    int bins;
    /** The range of v that counts, inclusive. */
    int lo;
    int hi;

    void release() {
        a = new float[1];
        bits = hist = fill = new int[1];
        counts = new int[3];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        if (atomic != 0) {
            atomicHistogram(w);
        } else {
            int first = w * chunk;
            int end = first + min(chunk, n - first);
            if (op == HIST) {
                histogram(w, first, end);
            }
            if (op == BRACKET) {
                bracket(w, first, end);
            }
        }
    }

    /** 1 when v is in [lo, hi] (lo ≤ hi), else 0, without a branch. */
    private int inside(int v, int lo, int hi) {
        return (v >= lo ? 1 : 0) - (v > hi ? 1 : 0);
    }

    private void bracket(int w, int first, int end) {
        // Fields copied to locals: as far as the compiler knows, stores through the arrays could
        // change them, and it would reload them after every store.
        int lo = this.lo;
        int hi = this.hi;
        int cap = this.cap;
        int found = 0;
        int above = 0;
        int lost = 0;
        for (int s = first; s < end; s += SUB) {
            int sEnd = s + min(SUB, end - s);
            int c = 0;
            for (int i = s; i < sEnd; i++) {
                int v = floatBits(a[i]) & 0x7FFFFFFF;
                c += inside(v, lo, hi);
                above += v > hi ? 1 : 0;
            }
            found += c;
            int at = atomicAdd(fill, 0, c + 1);
            int fits = at + c + 1 <= cap ? 1 : 0;
            lost += c * (1 - fits);
            // Empty ranges when there is nothing to copy or no room (no nested ifs: they break
            // Aparapi's decompiler around loops).
            int copy = fits * c;
            int full = s + ((sEnd - s) / BLOCK) * BLOCK;
            int blocksEnd = copy > 0 ? full : s;
            int tailEnd = copy > 0 ? sEnd : full;
            for (int b = s; b < blocksEnd; b += BLOCK) {
                int bc = 0;
                for (int l = 0; l < BLOCK; l++) {
                    bc += inside(floatBits(a[b + l]) & 0x7FFFFFFF, lo, hi);
                }
                if (bc > 0) {
                    // Branch-free compaction: every value is written, the position advances only
                    // for candidates (mispredicted branches cost more); the last write lands on
                    // the spare slot at worst.
                    for (int l = 0; l < BLOCK; l++) {
                        int v = floatBits(a[b + l]) & 0x7FFFFFFF;
                        bits[at] = v;
                        at += inside(v, lo, hi);
                    }
                }
            }
            for (int i = full; i < tailEnd; i++) {
                int v = floatBits(a[i]) & 0x7FFFFFFF;
                bits[at] = v;
                at += inside(v, lo, hi);
            }
            if (fits == 1) {
                bits[at] = -1;
            }
        }
        counts[3 * w] = found;
        counts[3 * w + 1] = above;
        counts[3 * w + 2] = lost;
    }

    private void atomicHistogram(int w) {
        int mask = bins - 1;
        int lo = this.lo;
        int hi = this.hi;
        int shift = this.shift;
        for (int i = w; i < n; i += stride) {
            int v = floatBits(a[i]) & 0x7FFFFFFF;
            if (inside(v, lo, hi) != 0) {
                atomicAdd(hist, (v >>> shift) & mask, 1);
            }
        }
    }

    private void histogram(int w, int first, int end) {
        int mask = bins - 1;
        int lo = this.lo;
        int hi = this.hi;
        int shift = this.shift;
        int h0 = WAYS * w * bins;
        int h1 = h0 + bins;
        int h2 = h1 + bins;
        int h3 = h2 + bins;
        for (int d = h0; d < h0 + WAYS * bins; d++) {
            hist[d] = 0;
        }
        int end4 = first + ((end - first) / 4) * 4;
        if (fromBits == 0) {
            for (int i = first; i < end4; i += 4) {
                int v0 = floatBits(a[i]) & 0x7FFFFFFF;
                int v1 = floatBits(a[i + 1]) & 0x7FFFFFFF;
                int v2 = floatBits(a[i + 2]) & 0x7FFFFFFF;
                int v3 = floatBits(a[i + 3]) & 0x7FFFFFFF;
                hist[h0 + ((v0 >>> shift) & mask)] += inside(v0, lo, hi);
                hist[h1 + ((v1 >>> shift) & mask)] += inside(v1, lo, hi);
                hist[h2 + ((v2 >>> shift) & mask)] += inside(v2, lo, hi);
                hist[h3 + ((v3 >>> shift) & mask)] += inside(v3, lo, hi);
            }
            for (int i = end4; i < end; i++) {
                int v = floatBits(a[i]) & 0x7FFFFFFF;
                hist[h0 + ((v >>> shift) & mask)] += inside(v, lo, hi);
            }
        } else {
            for (int i = first; i < end4; i += 4) {
                int v0 = bits[i];
                int v1 = bits[i + 1];
                int v2 = bits[i + 2];
                int v3 = bits[i + 3];
                hist[h0 + ((v0 >>> shift) & mask)] += inside(v0, lo, hi);
                hist[h1 + ((v1 >>> shift) & mask)] += inside(v1, lo, hi);
                hist[h2 + ((v2 >>> shift) & mask)] += inside(v2, lo, hi);
                hist[h3 + ((v3 >>> shift) & mask)] += inside(v3, lo, hi);
            }
            for (int i = end4; i < end; i++) {
                int v = bits[i];
                hist[h0 + ((v >>> shift) & mask)] += inside(v, lo, hi);
            }
        }
    }
}
