package org.mtflow.kernels.aparapi;

/**
 * Merging primitives over K task vectors of one shape, one pass over memory; chunks per work-item
 * as in {@link ElementwiseKernel}.
 *
 * <p>A launch reads up to {@link #SLOTS} task vectors x0..x7; slots at or above {@code k} hold x0
 * again (already in cache, so they cost no memory traffic) and are masked off by a compare on the
 * uniform {@code k}. More than eight task vectors take several launches that carry the running sum
 * and count in {@code acc}/{@code cnt} ({@code first}/{@code last} say which launch this is).
 *
 * <ul>
 *   <li>{@link #ELECT_SUM}: out = sign(Σ x) (float sum in task order); {@link #ELECT_COUNT}:
 *       out = sign(Σ sign(x)).
 *   <li>{@link #DISJOINT}: over the x that agree with sign(sign[i]) (same sign, non-zero), their
 *       sum, or their mean when {@code mean}; 0 where none agree.
 *   <li>{@link #DROP}: DARE's drop-and-rescale of x0 with Philox draws (inherited).
 * </ul>
 */
public final class MergeKernel extends PhiloxKernel {
    static final int SLOTS = 8;
    static final int ELECT_SUM = 0;
    static final int ELECT_COUNT = 1;
    static final int DISJOINT = 2;
    static final int DROP = 3;

    float[] x0 = new float[1];
    float[] x1 = new float[1];
    float[] x2 = new float[1];
    float[] x3 = new float[1];
    float[] x4 = new float[1];
    float[] x5 = new float[1];
    float[] x6 = new float[1];
    float[] x7 = new float[1];
    float[] sign = new float[1];
    float[] out = new float[1];
    float[] acc = new float[1];
    float[] cnt = new float[1];
    int n;
    int chunk = 4096;
    int op;
    /** Task vectors in this launch (1..8). */
    int k;
    int first = 1;
    int last = 1;
    int mean;
    /** DROP: keep ⇔ (bits &gt;&gt;&gt; 8) ≥ threshold. */
    int threshold;
    float scale;

    /** Binds task vectors xs[from .. from+8) to the slots; empty slots get xs[from]. */
    void setSlots(float[][] xs, int from) {
        int count = Math.min(SLOTS, xs.length - from);
        float[][] s = new float[SLOTS][];
        for (int j = 0; j < SLOTS; j++) {
            s[j] = j < count ? xs[from + j] : xs[from];
        }
        x0 = s[0];
        x1 = s[1];
        x2 = s[2];
        x3 = s[3];
        x4 = s[4];
        x5 = s[5];
        x6 = s[6];
        x7 = s[7];
        k = count;
        first = from == 0 ? 1 : 0;
        last = from + count == xs.length ? 1 : 0;
    }

    void release() {
        x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = sign = out = acc = cnt = new float[1];
    }

    private float slot(int j, float x) {
        return j < k ? x : 0f;
    }

    private float sgn(float x) {
        return (x > 0f ? 1f : 0f) - (x < 0f ? 1f : 0f);
    }

    /** x when slot j is in use and x has the sign of s (s is ±1 or 0), else 0. */
    private float agreeing(int j, float x, float s) {
        float r = 0f;
        if (j < k) {
            if (x * s > 0f) {
                r = x;
            }
        }
        return r;
    }

    /** The merged value: the sum, or the mean of c values when {@code mean}. */
    private float merged(float sum, float c) {
        float r = sum;
        if (mean != 0) {
            if (c > 0f) {
                r = sum / c;
            }
        }
        return r;
    }

    private float nonZero(float x) {
        return x != 0f ? 1f : 0f;
    }

    private float sumOfSlots(int i) {
        return x0[i] + slot(1, x1[i]) + slot(2, x2[i]) + slot(3, x3[i]) + slot(4, x4[i]) + slot(5, x5[i])
                + slot(6, x6[i]) + slot(7, x7[i]);
    }

    private float countOfSlots(int i) {
        return sgn(x0[i]) + sgn(slot(1, x1[i])) + sgn(slot(2, x2[i])) + sgn(slot(3, x3[i])) + sgn(slot(4, x4[i]))
                + sgn(slot(5, x5[i])) + sgn(slot(6, x6[i])) + sgn(slot(7, x7[i]));
    }

    @Override
    public void run() {
        // Flat dispatch to one method per path: Aparapi's decompiler fails on deeper if/else nests.
        int lo = getGlobalId() * chunk;
        int hi = lo + min(chunk, n - lo);
        int single = first * last;
        if (op == DROP) {
            drop(lo, hi);
        }
        if (op != DROP && single != 0) {
            singleLaunch(lo, hi);
        }
        if (op != DROP && single == 0) {
            chainedLaunch(lo, hi);
        }
    }

    /**
     * Copies the chunk to out, then drops and rescales it there in place: the Philox loop then
     * touches one array only and vectorizes (reading x0 and writing out in it, it did not — the
     * compiler could not bound the interleaved accesses for its alias check). The chunk stays in
     * cache between the two loops.
     */
    private void drop(int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            out[i] = x0[i];
        }
        philoxRange(lo, hi);
    }

    /** DROP's element: kept when the draw's top 24 bits reach the threshold. */
    @Override
    protected void emit(int i, int bits) {
        // The product before the select: inside it, the loads became masked gathers.
        float kept = out[i] * scale;
        out[i] = (bits >>> 8) >= threshold ? kept : 0f;
    }

    private void singleLaunch(int lo, int hi) {
        if (op == ELECT_SUM) {
            for (int i = lo; i < hi; i++) {
                out[i] = sgn(x0[i] + slot(1, x1[i]) + slot(2, x2[i]) + slot(3, x3[i]) + slot(4, x4[i])
                        + slot(5, x5[i]) + slot(6, x6[i]) + slot(7, x7[i]));
            }
        } else if (op == ELECT_COUNT) {
            // Written out rather than calling countOfSlots: the compiler does not inline that into
            // this loop, and the call keeps it scalar (4x slower).
            for (int i = lo; i < hi; i++) {
                out[i] = sgn(sgn(x0[i]) + sgn(slot(1, x1[i])) + sgn(slot(2, x2[i])) + sgn(slot(3, x3[i]))
                        + sgn(slot(4, x4[i])) + sgn(slot(5, x5[i])) + sgn(slot(6, x6[i])) + sgn(slot(7, x7[i])));
            }
        } else if (op == DISJOINT) {
            for (int i = lo; i < hi; i++) {
                float s = sgn(sign[i]);
                float v0 = agreeing(0, x0[i], s), v1 = agreeing(1, x1[i], s), v2 = agreeing(2, x2[i], s);
                float v3 = agreeing(3, x3[i], s), v4 = agreeing(4, x4[i], s), v5 = agreeing(5, x5[i], s);
                float v6 = agreeing(6, x6[i], s), v7 = agreeing(7, x7[i], s);
                float sum = v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7;
                float c = nonZero(v0) + nonZero(v1) + nonZero(v2) + nonZero(v3) + nonZero(v4) + nonZero(v5)
                        + nonZero(v6) + nonZero(v7);
                out[i] = merged(sum, c);
            }
        }
    }

    /** More than eight task vectors: carry the running sum (and count) between launches. */
    private void chainedLaunch(int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float t = 0f;
            float c = 0f;
            if (first == 0) {
                t = acc[i];
                c = cnt[i];
            }
            if (op == ELECT_SUM) {
                t += sumOfSlots(i);
            }
            if (op == ELECT_COUNT) {
                t += countOfSlots(i);
            }
            if (op == DISJOINT) {
                float s = sgn(sign[i]);
                float v0 = agreeing(0, x0[i], s), v1 = agreeing(1, x1[i], s), v2 = agreeing(2, x2[i], s);
                float v3 = agreeing(3, x3[i], s), v4 = agreeing(4, x4[i], s), v5 = agreeing(5, x5[i], s);
                float v6 = agreeing(6, x6[i], s), v7 = agreeing(7, x7[i], s);
                t += v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7;
                c += nonZero(v0) + nonZero(v1) + nonZero(v2) + nonZero(v3) + nonZero(v4) + nonZero(v5)
                        + nonZero(v6) + nonZero(v7);
            }
            float result = sgn(t);
            if (op == DISJOINT) {
                result = merged(t, c);
            }
            if (last != 0) {
                out[i] = result;
            }
            if (last == 0) {
                acc[i] = t;
                cnt[i] = c;
            }
        }
    }
}
