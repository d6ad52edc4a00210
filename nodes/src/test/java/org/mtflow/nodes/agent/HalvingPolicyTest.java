package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class HalvingPolicyTest {
    static final SearchSpace SPACE = new SearchSpace(List.of(new SearchSpace.Range("lr", 0, 1, false), new SearchSpace.IntRange("width", 1, 8)));

    static HalvingPolicy policy(long seed, Map<String, Object> options) {
        return HalvingPolicy.create(SPACE, Searches.options(options), seed);
    }

    @Test
    void nineConfigurationsEtaThreeRunNineThreeOneAtBudgetsOneThreeNine() {
        long seed = TestSeeds.next();
        String msg = "seed=" + seed;
        HalvingPolicy p = policy(seed, Map.of("budget-param", "epochs", "min", 1, "max", 9));
        assertEquals(List.of(1L, 3L, 9L), p.budgets(), msg);
        assertEquals(List.of(9, 3, 1), p.sizes(), msg);

        // rung 0: nine random configurations at 1 epoch, scored by hand; candidate 2 fails
        List<Candidate> rung0 = p.propose(List.of(), 20);
        assertEquals(9, rung0.size(), msg + ": one rung per batch");
        Double[] scores0 = {0.1, 0.9, null, 0.5, 0.9, 0.2, 0.3, 0.8, 0.4};
        List<Observation> h = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            assertEquals(1L, rung0.get(i).params().get("epochs"), msg);
            assertEquals(SPACE.decode(rung0.get(i).point()), without(rung0.get(i).params(), "epochs"), msg);
            h.add(new Observation(rung0.get(i), scores0[i] == null ? null : new double[] {scores0[i]}));
        }
        // rung 1: the best three (0.9 at 1 and 4, a tie to the lower index; then 0.8 at 7) at 3 epochs
        List<Candidate> rung1 = p.propose(h, 20);
        assertEquals(List.of(9, 10, 11), rung1.stream().map(Candidate::index).toList(), msg);
        int[] promoted = {1, 4, 7};
        for (int i = 0; i < 3; i++) {
            assertTrue(java.util.Arrays.equals(rung0.get(promoted[i]).point(), rung1.get(i).point()), msg + " rung 1 member " + i);
            assertEquals(3L, rung1.get(i).params().get("epochs"), msg);
        }
        double[] scores1 = {0.2, 0.7, 0.5};
        for (int i = 0; i < 3; i++) h.add(new Observation(rung1.get(i), new double[] {scores1[i]}));
        // rung 2: the best of rung 1 (0.7: candidate 10, configuration 4) at 9 epochs, then nothing
        List<Candidate> rung2 = p.propose(h, 20);
        assertEquals(1, rung2.size(), msg);
        assertEquals(12, rung2.get(0).index(), msg);
        assertTrue(java.util.Arrays.equals(rung0.get(4).point(), rung2.get(0).point()), msg);
        assertEquals(9L, rung2.get(0).params().get("epochs"), msg);
        h.add(new Observation(rung2.get(0), new double[] {0.75}));
        assertTrue(p.propose(h, 20).isEmpty(), msg + ": the last rung is done");
    }

    @Test
    void failedCandidatesRankLastAndStillFillARung() {
        long seed = TestSeeds.next();
        HalvingPolicy p = policy(seed, Map.of("budget-param", "epochs", "min", 1, "max", 3, "n", 6));
        assertEquals(List.of(6, 2), p.sizes());
        List<Candidate> rung0 = p.propose(List.of(), 6);
        List<Observation> h = new ArrayList<>();
        for (int i = 0; i < 6; i++) h.add(new Observation(rung0.get(i), i == 3 ? new double[] {-5} : null));
        List<Candidate> rung1 = p.propose(h, 6);
        // 3 is the only success; the rest are failed, the lowest index first
        assertTrue(java.util.Arrays.equals(rung0.get(3).point(), rung1.get(0).point()), "seed=" + seed);
        assertTrue(java.util.Arrays.equals(rung0.get(0).point(), rung1.get(1).point()), "seed=" + seed);
    }

    @Test
    void realBudgetsWhenTheBoundsAreNotIntegers() {
        HalvingPolicy p = policy(1, Map.of("budget-param", "fraction", "min", 0.5, "max", 4.5));
        assertEquals(3, p.budgets().size());
        double[] expected = {0.5, 1.5, 4.5};
        for (int r = 0; r < 3; r++) assertEquals(expected[r], (double) p.budgets().get(r), 1e-12);
        assertEquals(List.of(9, 3, 1), p.sizes());
    }

    @Test
    void refusesABudgetParamThatIsADimensionAndBadBounds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> policy(1, Map.of("budget-param", "width", "min", 1, "max", 9)));
        assertEquals("halving budget-param 'width' is also a dimension of the space: halving sets it; remove it from the space", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> policy(1, Map.of("budget-param", "epochs", "min", 9, "max", 1)));
        assertEquals("policy halving: option max (1.0) must be >= min (9.0)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> policy(1, Map.of("budget-param", "epochs", "max", 9)));
        assertEquals("policy halving: option min is required; write e.g. min: 1", e.getMessage());
    }

    static Map<String, Object> without(Map<String, Object> params, String key) {
        Map<String, Object> out = new java.util.HashMap<>(params);
        out.remove(key);
        return out;
    }
}
