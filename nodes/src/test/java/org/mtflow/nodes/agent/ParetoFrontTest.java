package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class ParetoFrontTest {

    @Test
    void isTheNonDominatedSubsetInIndexOrder() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + rnd.nextInt(60), m = 1 + rnd.nextInt(3);
            List<Observation> obs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double[] s = new double[m];
                for (int k = 0; k < m; k++) s[k] = rnd.nextInt(6); // few values: ties and duplicates happen
                obs.add(new Observation(new Candidate(i, Map.of(), new double[] {0}), rnd.nextInt(8) == 0 ? null : s));
            }
            // brute force: i is on the front iff it succeeded and no j is >= in all scores with a different vector
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (obs.get(i).failed()) continue;
                boolean dominated = false;
                for (int j = 0; j < n; j++) {
                    if (obs.get(j).failed()) continue;
                    double[] a = obs.get(j).scores(), b = obs.get(i).scores();
                    boolean allAtLeast = true;
                    for (int k = 0; k < m; k++) allAtLeast &= a[k] >= b[k];
                    if (allAtLeast && !Arrays.equals(a, b)) dominated = true;
                }
                if (!dominated) expected.add(i);
            }
            List<Integer> actual = ParetoFront.of(obs).stream().map(o -> o.candidate().index()).toList();
            assertEquals(expected, actual, "seed=" + seed + " trial " + trial);
        }
    }

    @Test
    void refusesScoresOfDifferentLengths() {
        List<Observation> obs = List.of(
                new Observation(new Candidate(0, Map.of(), new double[] {0}), new double[] {1, 2}),
                new Observation(new Candidate(1, Map.of(), new double[] {0}), new double[] {1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParetoFront.of(obs));
        assertEquals("candidate 1 has 1 scores, candidate 0 has 2: every objective needs a score", e.getMessage());
    }
}
