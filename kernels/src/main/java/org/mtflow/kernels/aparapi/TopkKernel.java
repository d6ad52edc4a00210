package org.mtflow.kernels.aparapi;

/**
 * The passes of the magnitude top-k threshold, over the bits v of |x| (which order like the
 * magnitudes). {@link AparapiOps#topkThreshold} drives them; the host only adds per-work-item counts
 * and scans small histograms.
 *
 * <ul>
 *   <li>{@link #COUNT}: per work-item, how many v are at least each of four bucket edges and how
 *       many are above hi ({@code counts[5w …]}): integer sums, so the loop vectorizes.
 *   <li>{@link #GATHER}: copies the v inside [lo, hi] of work-item w's elements to
 *       {@code bits[offsets[w] …]}, then −1 (regions have one slot to spare). Blocks of 8 are
 *       counted first (vectorized) and only blocks that hold a candidate are compacted, element by
 *       element — a scalar loop over every element would cost more than the counting pass.
 *   <li>{@link #HIST}: a histogram of the digit {@code (v >>> shift) & (bins − 1)} over the v
 *       inside [lo, hi], where v is |a[i]|'s bits or, when {@code fromBits}, {@code bits[i]}
 *       (gathered candidates). CPU: four histograms per work-item ({@code hist[(4w + j)·bins …]},
 *       element i counting in histogram i % 4), since clustered data hits one bin many times in a
 *       row; GPU ({@code atomic}): one shared histogram and atomic adds, elements w, w + stride, ….
 * </ul>
 */
public final class TopkKernel extends BitsKernel {
    static final int HIST = 0;
    static final int COUNT = 1;
    static final int GATHER = 2;
    /** Histograms per work-item on a CPU. */
    static final int WAYS = 4;
    static final int BLOCK = 8;

    float[] a = new float[1];
    int[] bits = new int[1];
    int[] hist = new int[1];
    int[] counts = new int[5];
    /** COUNT: four ascending bucket edges; the buckets are [edges[j], edges[j + 1]) and [edges[3], hi]. */
    int[] edges = new int[4];
    int[] offsets = new int[1];
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
        bits = hist = offsets = new int[1];
        counts = new int[5];
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
            if (op == COUNT) {
                count(w, first, end);
            }
            if (op == GATHER) {
                gather(w, first, end);
            }
        }
    }

    /** 1 when v is in [lo, hi] (lo ≤ hi), else 0, without a branch. */
    private int inside(int v, int lo, int hi) {
        return (v >= lo ? 1 : 0) - (v > hi ? 1 : 0);
    }

    private void count(int w, int first, int end) {
        // Fields copied to locals throughout: as far as the compiler knows, stores through the
        // arrays could change them, and it would reload them after every store.
        int e0 = edges[0];
        int e1 = edges[1];
        int e2 = edges[2];
        int e3 = edges[3];
        int hi = this.hi;
        int c0 = 0;
        int c1 = 0;
        int c2 = 0;
        int c3 = 0;
        int above = 0;
        for (int i = first; i < end; i++) {
            int v = floatBits(a[i]) & 0x7FFFFFFF;
            c0 += v >= e0 ? 1 : 0;
            c1 += v >= e1 ? 1 : 0;
            c2 += v >= e2 ? 1 : 0;
            c3 += v >= e3 ? 1 : 0;
            above += v > hi ? 1 : 0;
        }
        counts[5 * w] = c0;
        counts[5 * w + 1] = c1;
        counts[5 * w + 2] = c2;
        counts[5 * w + 3] = c3;
        counts[5 * w + 4] = above;
    }

    private void gather(int w, int first, int end) {
        int lo = this.lo;
        int hi = this.hi;
        int at = offsets[w];
        int blocksEnd = first + ((end - first) / BLOCK) * BLOCK;
        for (int b = first; b < blocksEnd; b += BLOCK) {
            int c = 0;
            for (int l = 0; l < BLOCK; l++) {
                c += inside(floatBits(a[b + l]) & 0x7FFFFFFF, lo, hi);
            }
            if (c > 0) {
                // Branch-free compaction: every value is written, the position advances only for
                // candidates (mispredicted branches cost more).
                for (int l = 0; l < BLOCK; l++) {
                    int v = floatBits(a[b + l]) & 0x7FFFFFFF;
                    bits[at] = v;
                    at += inside(v, lo, hi);
                }
            }
        }
        for (int i = blocksEnd; i < end; i++) {
            int v = floatBits(a[i]) & 0x7FFFFFFF;
            bits[at] = v;
            at += inside(v, lo, hi);
        }
        // The region has one slot more than its candidates: mark it, it may hold a non-candidate.
        bits[at] = -1;
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
