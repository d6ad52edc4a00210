package org.mtflow.kernels.aparapi;

/**
 * The bracket pass of the magnitude top-k threshold on a CPU (see {@link AparapiOps#topkThreshold}):
 * one pass over work-item w's {@link #chunk} elements of {@code a} that counts the bits v of |a[i]|
 * above {@code hi} and copies those inside [lo, hi] (a few per cent) to {@code bits}.
 *
 * <p>Blocks of {@link #BLOCK} elements are counted (vectorized) and only blocks that hold a
 * candidate are compacted, element by element, into {@link #stage} in private memory. After each
 * sub-chunk of {@link #SUB} elements the work-item reserves its candidates' slots and one spare
 * with an atomic add on {@code fill[0]}, copies them, and writes −1 (a value no later pass counts)
 * to the spare. Slots past {@code cap} are never written: those candidates are only counted as
 * lost. {@code counts[3w …]}: inside, above, lost. Candidates land in an order that depends on
 * timing; what is selected from them does not.
 *
 * <p>One pass over memory: counting a sub-chunk first and compacting it from L1 afterwards read it
 * twice, and the second read stalled the stream (50 M floats, 2 % candidates: 31 → 24 ms). Its own
 * class, so that the GPU's top-k kernel carries no 16 KB private array.
 */
public final class TopkBracketKernel extends BitsKernel {
    static final int BLOCK = 8;
    /** Elements per reservation: the stage holds this many candidates and the spare. */
    static final int SUB = 4096;

    float[] a = new float[1];
    int[] bits = new int[1];
    int[] counts = new int[3];
    /** The slots of bits; fill[0] counts those reserved. */
    int cap;
    int[] fill = new int[1];
    int n;
    int chunk = 1 << 20;
    /** The range of v that counts, inclusive. */
    int lo;
    int hi;

    @PrivateMemorySpace(SUB + 1)
    private final int[] stage = new int[SUB + 1];

    void release() {
        a = new float[1];
        bits = fill = new int[1];
        counts = new int[3];
    }

    @Override
    public void run() {
        int w = getGlobalId();
        int first = w * chunk;
        int end = first + min(chunk, n - first);
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
            int full = s + ((sEnd - s) / BLOCK) * BLOCK;
            int c = 0;
            for (int b = s; b < full; b += BLOCK) {
                int bc = 0;
                int ab = 0;
                for (int l = 0; l < BLOCK; l++) {
                    int v = floatBits(a[b + l]) & 0x7FFFFFFF;
                    bc += inside(v, lo, hi);
                    ab += v > hi ? 1 : 0;
                }
                above += ab;
                if (bc > 0) {
                    // Branch-free compaction: every value is written, the position advances only
                    // for candidates (mispredicted branches cost more).
                    for (int l = 0; l < BLOCK; l++) {
                        int v = floatBits(a[b + l]) & 0x7FFFFFFF;
                        stage[c] = v;
                        c += inside(v, lo, hi);
                    }
                }
            }
            for (int i = full; i < sEnd; i++) {
                int v = floatBits(a[i]) & 0x7FFFFFFF;
                above += v > hi ? 1 : 0;
                stage[c] = v;
                c += inside(v, lo, hi);
            }
            found += c;
            int at = atomicAdd(fill, 0, c + 1);
            int fits = at + c + 1 <= cap ? 1 : 0;
            lost += c * (1 - fits);
            int copy = fits * c;
            for (int j = 0; j < copy; j++) {
                bits[at + j] = stage[j];
            }
            if (fits == 1) {
                bits[at + c] = -1;
            }
        }
        counts[3 * w] = found;
        counts[3 * w + 1] = above;
        counts[3 * w + 2] = lost;
    }
}
