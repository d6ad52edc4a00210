package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

/** Checks on splits drawn from a pool of rows, row by row (features and label). */
final class SplitChecks {
    private SplitChecks() {}

    static boolean sameRow(Dataset.Split a, int i, Dataset.Split b, int j) {
        int f = a.x().dim(1);
        return a.y().data()[i] == b.y().data()[j]
                && Arrays.equals(a.x().data(), i * f, (i + 1) * f, b.x().data(), j * f, (j + 1) * f);
    }

    /**
     * Every row of {@code pool}, in order, is the next row of one of {@code parts} (or, when
     * {@code dropAllowed}, of none), and every part is used up: the parts are the pool's rows in pool
     * order, each row once.
     */
    static void assertDrawnFrom(Dataset.Split pool, boolean dropAllowed, String msg, Dataset.Split... parts) {
        int[] next = new int[parts.length];
        for (int i = 0; i < pool.size(); i++) {
            boolean placed = false;
            for (int k = 0; k < parts.length && !placed; k++) {
                if (next[k] < parts[k].size() && sameRow(pool, i, parts[k], next[k])) {
                    next[k]++;
                    placed = true;
                }
            }
            if (!placed && !dropAllowed) throw new AssertionError(msg + ": pool row " + i + " is in none of the parts (or out of order)");
        }
        for (int k = 0; k < parts.length; k++) assertEquals(parts[k].size(), next[k], msg + ": part " + k + " has rows not from the pool in order");
    }

    static int[] classCounts(Dataset.Split s, int classes) {
        int[] c = new int[classes];
        for (float y : s.y().data()) c[(int) y]++;
        return c;
    }
}
