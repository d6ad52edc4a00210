package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class RandomPolicyTest {
    static final SearchSpace UNIT2 = new SearchSpace(List.of(new SearchSpace.Range("a", 0, 1, false), new SearchSpace.Range("b", 0, 1, false)));

    @Test
    void candidateIDependsOnTheSeedAndIAloneNotOnScores() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        RandomPolicy policy = new RandomPolicy(UNIT2, seed);
        List<Candidate> first = policy.propose(List.of(), 8);
        for (int h = 0; h < 8; h++) {
            List<Observation> history = new ArrayList<>();
            for (int i = 0; i < h; i++) history.add(new Observation(first.get(i), rnd.nextBoolean() ? null : new double[] {rnd.nextDouble()}));
            Searches.assertSameCandidates(first.subList(h, 8), policy.propose(history, 8 - h), "seed=" + seed + " history " + h);
        }
    }

    @Test
    void coordinatesAreUniformAndDecodedParamsMatchThePoint() {
        long seed = TestSeeds.next();
        int n = 4000, bins = 10;
        List<Candidate> cs = new RandomPolicy(UNIT2, seed).propose(List.of(), n);
        int[][] counts = new int[2][bins];
        for (Candidate c : cs) {
            double[] p = c.point();
            for (int j = 0; j < 2; j++) {
                assertTrue(p[j] >= 0 && p[j] < 1, "seed=" + seed + " " + c);
                assertEquals(p[j], (double) c.params().get(j == 0 ? "a" : "b"), "seed=" + seed + " " + c);
                counts[j][(int) (p[j] * bins)]++;
            }
        }
        for (int j = 0; j < 2; j++) {
            double chi2 = 0, expected = (double) n / bins;
            for (int b = 0; b < bins; b++) chi2 += (counts[j][b] - expected) * (counts[j][b] - expected) / expected;
            // chi-square with 9 degrees of freedom exceeds 42 with probability ~2e-6
            assertTrue(chi2 < 42, "seed=" + seed + " coordinate " + j + " chi2=" + chi2 + " counts=" + java.util.Arrays.toString(counts[j]));
        }
    }
}
