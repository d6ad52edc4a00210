package org.mtflow.kernels.aparapi;

/**
 * The histogram passes of the magnitude top-k threshold's radix select, over the bits v of |x|
 * (which order like the magnitudes). {@link AparapiOps#topkThreshold} drives them; the host only
 * adds the histograms and scans them. A histogram counts the digit {@code (v >>> shift) & (bins − 1)}
 * over the v inside [lo, hi], where v is |a[i]|'s bits or, when {@code fromBits}, {@code bits[i]}
 * (candidates gathered by {@link TopkBracketKernel}).
 *
 * <ul>
 *   <li>CPU: four histograms per work-item ({@code hist[(4w + j)·bins …]}, element i counting in
 *       histogram i % 4), since clustered data hits one bin many times in a row.
 *   <li>GPU ({@code atomic}): one shared histogram and atomic adds, elements w, w + stride, ….
 * </ul>
 */
public final class TopkKernel extends BitsKernel {
    /** Histograms per work-item on a CPU. */
    static final int WAYS = 4;

    float[] a = new float[1];
    int[] bits = new int[1];
    int[] hist = new int[1];
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
        bits = hist = new int[1];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        if (atomic != 0) {
            atomicHistogram(w);
        } else {
            int first = w * chunk;
            int end = first + min(chunk, n - first);
            histogram(w, first, end);
        }
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
