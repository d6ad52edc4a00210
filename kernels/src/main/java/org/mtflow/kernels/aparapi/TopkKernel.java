package org.mtflow.kernels.aparapi;

/**
 * The passes of the magnitude top-k threshold, a radix select over the bits of |x| (which order like
 * the magnitudes). The host adds the histograms and scans their bins (small) to pick each digit.
 *
 * <ul>
 *   <li>{@link #HIST}: a histogram of the digit {@code (v >>> shift) & (bins − 1)} over the values v
 *       whose higher bits equal the prefix chosen so far ({@code v >>> prefixShift == prefix};
 *       prefixShift 31 keeps all). The values are the bits of |a[i]|, or {@code bits[i]} when
 *       {@code fromBits} (candidates gathered earlier).
 *   <li>{@link #GATHER}: copies the matching values of work-item w's elements to
 *       {@code bits[offsets[w] …]}, so that the remaining digits are found over those candidates
 *       only instead of over all of a again.
 * </ul>
 *
 * <p>CPU ({@code atomic == 0}): work-item w owns elements [w·chunk, …) and four histograms
 * {@code hist[(4w + j)·bins …]}, element i counting in histogram i % 4 — four independent increment
 * chains, since clustered data hits one bin many times in a row. GPU ({@code atomic != 0}): one
 * shared histogram of a updated with atomic adds, elements w, w + stride, … (no gathering).
 */
public final class TopkKernel extends BitsKernel {
    static final int HIST = 0;
    static final int GATHER = 1;
    /** Histograms per work-item on a CPU. */
    static final int WAYS = 4;

    float[] a = new float[1];
    int[] bits = new int[1];
    int[] hist = new int[1];
    int[] offsets = new int[1];
    int op;
    int fromBits;
    int n;
    int chunk = 1 << 20;
    int stride = 1;
    int atomic;
    int shift;
    int bins;
    int prefixShift = 31;
    int prefix;

    void release() {
        a = new float[1];
        bits = hist = offsets = new int[1];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        if (atomic != 0) {
            atomicHistogram(w);
        } else {
            int lo = w * chunk;
            int hi = lo + min(chunk, n - lo);
            if (op == HIST) {
                histogram(w, lo, hi);
            }
            if (op == GATHER) {
                gather(w, lo, hi);
            }
        }
    }

    private void atomicHistogram(int w) {
        int mask = bins - 1;
        for (int i = w; i < n; i += stride) {
            int v = floatBits(a[i]) & 0x7FFFFFFF;
            if ((v >>> prefixShift) == prefix) {
                atomicAdd(hist, (v >>> shift) & mask, 1);
            }
        }
    }

    private void histogram(int w, int lo, int hi) {
        int mask = bins - 1;
        int h0 = WAYS * w * bins;
        int h1 = h0 + bins;
        int h2 = h1 + bins;
        int h3 = h2 + bins;
        for (int d = h0; d < h0 + WAYS * bins; d++) {
            hist[d] = 0;
        }
        int hi4 = lo + ((hi - lo) / 4) * 4;
        if (fromBits == 0) {
            for (int i = lo; i < hi4; i += 4) {
                int v0 = floatBits(a[i]) & 0x7FFFFFFF;
                int v1 = floatBits(a[i + 1]) & 0x7FFFFFFF;
                int v2 = floatBits(a[i + 2]) & 0x7FFFFFFF;
                int v3 = floatBits(a[i + 3]) & 0x7FFFFFFF;
                if ((v0 >>> prefixShift) == prefix) {
                    hist[h0 + ((v0 >>> shift) & mask)]++;
                }
                if ((v1 >>> prefixShift) == prefix) {
                    hist[h1 + ((v1 >>> shift) & mask)]++;
                }
                if ((v2 >>> prefixShift) == prefix) {
                    hist[h2 + ((v2 >>> shift) & mask)]++;
                }
                if ((v3 >>> prefixShift) == prefix) {
                    hist[h3 + ((v3 >>> shift) & mask)]++;
                }
            }
            for (int i = hi4; i < hi; i++) {
                int v = floatBits(a[i]) & 0x7FFFFFFF;
                if ((v >>> prefixShift) == prefix) {
                    hist[h0 + ((v >>> shift) & mask)]++;
                }
            }
        } else {
            for (int i = lo; i < hi4; i += 4) {
                int v0 = bits[i];
                int v1 = bits[i + 1];
                int v2 = bits[i + 2];
                int v3 = bits[i + 3];
                if ((v0 >>> prefixShift) == prefix) {
                    hist[h0 + ((v0 >>> shift) & mask)]++;
                }
                if ((v1 >>> prefixShift) == prefix) {
                    hist[h1 + ((v1 >>> shift) & mask)]++;
                }
                if ((v2 >>> prefixShift) == prefix) {
                    hist[h2 + ((v2 >>> shift) & mask)]++;
                }
                if ((v3 >>> prefixShift) == prefix) {
                    hist[h3 + ((v3 >>> shift) & mask)]++;
                }
            }
            for (int i = hi4; i < hi; i++) {
                int v = bits[i];
                if ((v >>> prefixShift) == prefix) {
                    hist[h0 + ((v >>> shift) & mask)]++;
                }
            }
        }
    }

    private void gather(int w, int lo, int hi) {
        int at = offsets[w];
        for (int i = lo; i < hi; i++) {
            int v = floatBits(a[i]) & 0x7FFFFFFF;
            if ((v >>> prefixShift) == prefix) {
                bits[at] = v;
                at++;
            }
        }
    }
}
