package org.mtflow.nodes.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mtflow.kernels.random.Philox;

/**
 * Seeded stratified selection: within each class, a Philox-keyed shuffle decides which examples go
 * where, so every part keeps the class proportions and the same (seed, stream) gives the same parts.
 * Each part lists its example indices in ascending (file) order.
 */
public final class Stratified {
    private Stratified() {}

    /**
     * Splits the examples into parts by {@code fractions} (the first parts' shares; the last part takes
     * the rest). Per class of n examples, part k gets {@code round(n · fractions[k])} (capped by what
     * is left), so a class's counts are fixed by its size and the fractions alone.
     */
    public static int[][] split(float[] labels, double[] fractions, long seed, long stream) {
        List<List<Integer>> byClass = byClass(labels);
        List<List<Integer>> parts = new ArrayList<>();
        for (int k = 0; k <= fractions.length; k++) parts.add(new ArrayList<>());
        for (int c = 0; c < byClass.size(); c++) {
            int[] members = shuffled(byClass.get(c), seed, stream, c);
            int at = 0;
            for (int k = 0; k < fractions.length; k++) {
                int take = (int) Math.min(Math.round(members.length * fractions[k]), members.length - at);
                for (int i = 0; i < take; i++) parts.get(k).add(members[at++]);
            }
            while (at < members.length) parts.get(fractions.length).add(members[at++]);
        }
        int[][] out = new int[parts.size()][];
        for (int k = 0; k < out.length; k++) {
            out[k] = parts.get(k).stream().mapToInt(Integer::intValue).toArray();
            Arrays.sort(out[k]);
        }
        return out;
    }

    /** Per class, {@code count(class)} examples (all of a class when it has fewer), in file order. */
    public static int[] take(float[] labels, java.util.function.IntUnaryOperator count, long seed, long stream) {
        List<List<Integer>> byClass = byClass(labels);
        List<Integer> kept = new ArrayList<>();
        for (int c = 0; c < byClass.size(); c++) {
            int[] members = shuffled(byClass.get(c), seed, stream, c);
            int n = Math.min(Math.max(count.applyAsInt(members.length), 0), members.length);
            for (int i = 0; i < n; i++) kept.add(members[i]);
        }
        int[] out = kept.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(out);
        return out;
    }

    /** Example indices of each class label 0, 1, ... (labels must be class indices). */
    static List<List<Integer>> byClass(float[] labels) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            int c = (int) labels[i];
            if (c != labels[i] || c < 0) throw new IllegalArgumentException("label of example " + i + " is " + labels[i] + ", not a class index");
            while (byClass.size() <= c) byClass.add(new ArrayList<>());
            byClass.get(c).add(i);
        }
        return byClass;
    }

    /** Fisher–Yates with draws from Philox element stream (class c, position i): independent of other classes. */
    static int[] shuffled(List<Integer> members, long seed, long stream, int c) {
        int[] a = members.stream().mapToInt(Integer::intValue).toArray();
        long classStream = stream ^ (0x9E3779B97F4A7C15L * (c + 1));
        for (int i = a.length - 1; i > 0; i--) {
            long bits = Philox.bits(seed, classStream, i) & 0xFFFFFFFFL;
            int j = (int) ((bits * (i + 1)) >>> 32);
            int t = a[i]; a[i] = a[j]; a[j] = t;
        }
        return a;
    }

    /** The rows {@code rows} of a split, in that order. */
    public static Dataset.Split rows(Dataset.Split s, int[] rows) {
        int f = s.x().dim(1);
        float[] x = new float[rows.length * f], y = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(s.x().data(), rows[i] * f, x, i * f, f);
            y[i] = s.y().data()[rows[i]];
        }
        return new Dataset.Split(org.mtflow.kernels.Tensor.of(x, rows.length, f), org.mtflow.kernels.Tensor.of(y, rows.length));
    }
}
