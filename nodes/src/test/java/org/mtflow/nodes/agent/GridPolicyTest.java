package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class GridPolicyTest {

    @Test
    void enumeratesTheCartesianGridInNestedLoopOrderThenStops() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        double lo = -5 + 10 * rnd.nextDouble(), hi = lo + 0.1 + 5 * rnd.nextDouble();
        double llo = 1e-4 * (1 + rnd.nextDouble()), lhi = llo * (10 + 1000 * rnd.nextDouble());
        SearchSpace space = new SearchSpace(List.of(
                new SearchSpace.Range("r", lo, hi, false),
                new SearchSpace.Range("l", llo, lhi, true),
                new SearchSpace.IntRange("wide", 0, 9),
                new SearchSpace.IntRange("narrow", 2, 3),
                new SearchSpace.Choice("c", List.of("x", "y", "z"))));
        GridPolicy grid = new GridPolicy(space, 3);
        String msg = "seed=" + seed;
        // the expected grid, by nested loops: 3 values per range, ints [0, 9] at 3 evenly spaced
        // integers (0, 4.5 rounded up, 9), [2, 3] both, every choice
        List<Map<String, Object>> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (long w : new long[] {0, 5, 9})
                    for (long n = 2; n <= 3; n++)
                        for (String c : List.of("x", "y", "z")) {
                            Map<String, Object> p = new LinkedHashMap<>();
                            p.put("r", lo + i * (hi - lo) / 2);
                            p.put("l", llo * Math.pow(lhi / llo, j / 2.0));
                            p.put("wide", w);
                            p.put("narrow", n);
                            p.put("c", c);
                            expected.add(p);
                        }
        assertEquals(expected.size(), grid.size(), msg);
        List<Observation> history = Searches.run(grid, c -> new double[] {rnd.nextDouble()}, 10_000, 7);
        assertEquals(expected.size(), history.size(), msg + ": the grid stops when exhausted");
        for (int k = 0; k < expected.size(); k++) {
            Map<String, Object> e = expected.get(k), a = history.get(k).candidate().params();
            String at = msg + " cell " + k + " " + a;
            assertEquals((double) e.get("r"), (double) a.get("r"), 1e-12 * (Math.abs(lo) + Math.abs(hi)), at);
            assertEquals((double) e.get("l"), (double) a.get("l"), 1e-12 * lhi, at);
            for (String key : List.of("wide", "narrow", "c")) assertEquals(e.get(key), a.get(key), at + " " + key);
        }
        assertTrue(grid.propose(history, 5).isEmpty(), msg);
        assertEquals(2, grid.propose(history.subList(0, expected.size() - 2), 5).size(), msg + ": the last two cells only");
    }

    @Test
    void onePointTakesTheMiddleOfARangeAndOfAnInt() {
        SearchSpace space = new SearchSpace(List.of(new SearchSpace.Range("r", 2, 4, false), new SearchSpace.IntRange("i", 1, 5)));
        List<Candidate> cs = new GridPolicy(space, 1).propose(List.of(), 3);
        assertEquals(1, cs.size());
        assertEquals(Map.of("r", 3.0, "i", 3L), cs.get(0).params());
    }
}
