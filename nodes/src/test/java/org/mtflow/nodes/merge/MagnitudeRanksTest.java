package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class MagnitudeRanksTest {
    @Test
    void ranksAreAStableSortOfTheMagnitudes() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 30; round++) {
            int rows = rnd.nextInt(1, 200), cols = rnd.nextInt(1, 700);
            float[] x = new float[rows * cols];
            int kind = round % 3;
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (kind) {
                    case 0 -> (float) (rnd.nextGaussian() * Math.exp(10 * rnd.nextGaussian()));
                    case 1 -> rnd.nextInt(-3, 4); // many ties, ±0
                    default -> new float[] {Float.NaN, -0f, 0f, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -1e-40f, 2.5f}[rnd.nextInt(7)];
                };
            }
            int[] got = new int[x.length];
            Arrays.fill(got, -1);
            MagnitudeRanks.forEach(x, rows, cols, (at, rank) -> got[at] = rank);
            for (int r = 0; r < rows; r++) {
                int base = r * cols;
                Integer[] order = new Integer[cols];
                for (int c = 0; c < cols; c++) order[c] = c;
                Arrays.sort(order, (a, b) -> Float.compare(Math.abs(x[base + a]), Math.abs(x[base + b]))); // stable
                for (int rank = 0; rank < cols; rank++) {
                    assertEquals(rank, got[base + order[rank]], "seed " + seed + ", round " + round + ", row " + r + ", column " + order[rank]);
                }
            }
        }
    }
}
