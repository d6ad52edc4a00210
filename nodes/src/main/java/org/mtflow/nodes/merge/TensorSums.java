package org.mtflow.nodes.merge;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Float64 sums over a tensor that a merge method needs before it can merge the tensor in pieces:
 * norms, dot products, Σ|τ| for a rescale. Each {@link Term} is a sum over the elements of one or two
 * of the vectors fed, taken per segment: the whole tensor, or each row ({@code segment} = the row
 * length).
 *
 * <p>The sums are defined so that their bits do not depend on how the tensor is cut: within a
 * segment, elements are added in order, in double (a float·float product is exact in double, so each
 * step rounds once), one {@value #BLOCK}-element block at a time, and the blocks' sums are added in
 * order. A tensor fed whole and the same tensor fed in pieces of any sizes give the same bits; blocks
 * of one feed are summed on all cores.
 */
public final class TensorSums {
    /** Elements per block: the unit summed on one core. */
    static final int BLOCK = 1 << 16;
    /** Below this many elements a feed is summed on the calling thread. */
    private static final int PARALLEL_ELEMENTS = 1 << 18;

    /** Σ x·y over vectors x and y of a feed, or Σ |x| when {@code y} is {@link #ABS}. */
    public record Term(int x, int y) {
        static final int ABS = -1;

        public static Term dot(int x, int y) { return new Term(x, y); }

        public static Term abs(int x) { return new Term(x, ABS); }
    }

    private final long elements;
    private final long segment;
    private final int block;
    private final Term[] terms;
    private final int vectors;
    /** [segment · terms + term]: the finished blocks' sums. */
    private final double[] totals;
    /** The current block's sums so far: a feed that ends inside a block leaves them here. */
    private final double[] carry;
    private long fed;

    /**
     * Sums for a tensor of {@code elements} elements in segments of {@code segment} (the last one may
     * be shorter), of vectors 0..max index named in the terms.
     */
    public TensorSums(long elements, long segment, Term... terms) {
        this(elements, segment, BLOCK, terms);
    }

    /** With the block size (tests shorten it, so that small tensors cross blocks). */
    TensorSums(long elements, long segment, int block, Term... terms) {
        if (elements < 0 || segment < 1 || block < 1) throw new IllegalArgumentException("elements " + elements + ", segment " + segment + ", block " + block);
        if (terms.length == 0) throw new IllegalArgumentException("no terms");
        this.elements = elements;
        this.segment = segment;
        this.block = block;
        this.terms = terms.clone();
        int v = 0;
        for (Term t : terms) v = Math.max(v, Math.max(t.x(), t.y()) + 1);
        this.vectors = v;
        long segments = elements == 0 ? 0 : (elements - 1) / segment + 1;
        if (segments * terms.length > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(segments + " segments of " + terms.length + " sums: too many");
        this.totals = new double[(int) (segments * terms.length)];
        this.carry = new double[terms.length];
    }

    /** Sums over one tensor whole: the vectors, all of its length. */
    public static TensorSums of(long segment, Term[] terms, float[]... vectors) {
        TensorSums s = new TensorSums(vectors[0].length, Math.max(1, Math.min(segment, vectors[0].length)), terms);
        s.feed(vectors);
        return s;
    }

    public long segment() { return segment; }

    /**
     * The next piece: elements [fed, fed + length) of each vector, all of one length. Pieces come in
     * order; together they must cover the tensor exactly.
     */
    public void feed(float[]... v) {
        if (v.length < vectors) throw new IllegalArgumentException(vectors + " vectors wanted, " + v.length + " fed");
        int len = v[0].length;
        for (float[] x : v) {
            if (x.length != len) throw new IllegalArgumentException("vectors of " + len + " and " + x.length + " elements fed together");
        }
        if (fed + len > elements) throw new IllegalStateException((fed + len) + " elements fed to sums of " + elements);
        // Chunks: the piece cut at block and segment ends, so that no chunk crosses one.
        int[] cuts = new int[16];
        int chunks = 0;
        for (int at = 0; at < len; ) {
            int end = (int) Math.min(len, boundaryAfter(fed + at) - fed);
            if (chunks + 1 >= cuts.length) cuts = Arrays.copyOf(cuts, cuts.length * 2);
            cuts[++chunks] = end;
            at = end;
        }
        int[] cut = cuts;
        double[][] partial = new double[chunks][];
        IntStream range = IntStream.range(0, chunks);
        (len >= PARALLEL_ELEMENTS ? range.parallel() : range).forEach(c -> partial[c] = sum(v, cut[c], cut[c + 1], c == 0 ? carry : null));
        for (int c = 0; c < chunks; c++) {
            long from = fed + cut[c], to = fed + cut[c + 1];
            if (to == boundaryAfter(from)) { // the chunk finishes its block
                int at = (int) (from / segment) * terms.length;
                for (int t = 0; t < terms.length; t++) totals[at + t] += partial[c][t];
                Arrays.fill(carry, 0);
            } else {
                System.arraycopy(partial[c], 0, carry, 0, terms.length);
            }
        }
        fed += len;
    }

    /** Term t's sum over segment s (0 for the whole tensor); every element must have been fed. */
    public double get(long s, int t) {
        if (fed != elements) throw new IllegalStateException("sums read after " + fed + " of " + elements + " elements");
        return elements == 0 ? 0 : totals[(int) (s * terms.length + t)];
    }

    /** The end of the block (within its segment) that holds element i, or the segment's end if nearer. */
    private long boundaryAfter(long i) {
        long start = i / segment * segment;
        return Math.min(Math.min(start + segment, elements), start + ((i - start) / block + 1) * block);
    }

    /** Each term over elements [lo, hi) of the feed, in order, from {@code start} (or 0). */
    private double[] sum(float[][] v, int lo, int hi, double[] start) {
        double[] s = start == null ? new double[terms.length] : start.clone();
        for (int t = 0; t < terms.length; t++) {
            float[] x = v[terms[t].x()];
            double acc = s[t];
            if (terms[t].y() == Term.ABS) {
                for (int i = lo; i < hi; i++) acc += Math.abs(x[i]);
            } else {
                float[] y = v[terms[t].y()];
                for (int i = lo; i < hi; i++) acc += (double) x[i] * y[i];
            }
            s[t] = acc;
        }
        return s;
    }
}
