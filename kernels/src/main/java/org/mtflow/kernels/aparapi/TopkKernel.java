package org.mtflow.kernels.aparapi;

/**
 * One radix-select pass of the magnitude top-k threshold: a histogram of one digit of the bits of
 * |x| (which order like the magnitudes), over the elements whose higher bits equal the prefix the
 * earlier passes chose. The host adds the histograms and scans the bins (small) to pick the next
 * digit: three passes of 11 + 10 + 10 bits find the k-th largest magnitude exactly, O(n).
 *
 * <p>CPU ({@code atomic == 0}): work-item w owns elements [w·chunk, …) and its own histogram
 * {@code hist[w·bins …]} — plain increments in a table that stays in L1. GPU ({@code atomic != 0}):
 * one shared histogram updated with atomic adds, elements w, w + stride, ….
 */
public final class TopkKernel extends BitsKernel {
    float[] a = new float[1];
    int[] hist = new int[1];
    int n;
    int chunk = 1 << 20;
    int stride = 1;
    int atomic;
    /** Bin width: the digit is (bits &gt;&gt;&gt; shift) &amp; (bins − 1). */
    int shift;
    int bins;
    /** Elements count only when bits &gt;&gt;&gt; prefixShift == prefix (prefixShift 31 keeps all). */
    int prefixShift = 31;
    int prefix;

    void release() {
        a = new float[1];
        hist = new int[1];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        int mask = bins - 1;
        if (atomic != 0) {
            for (int i = w; i < n; i += stride) {
                int v = floatBits(a[i]) & 0x7FFFFFFF;
                if ((v >>> prefixShift) == prefix) {
                    atomicAdd(hist, (v >>> shift) & mask, 1);
                }
            }
        } else {
            int base = w * bins;
            for (int d = 0; d < bins; d++) {
                hist[base + d] = 0;
            }
            int lo = w * chunk;
            int hi = lo + min(chunk, n - lo);
            for (int i = lo; i < hi; i++) {
                int v = floatBits(a[i]) & 0x7FFFFFFF;
                if ((v >>> prefixShift) == prefix) {
                    hist[base + ((v >>> shift) & mask)]++;
                }
            }
        }
    }
}
