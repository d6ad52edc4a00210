package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class EvolutionPolicyTest {

    static SearchSpace unit(int d) {
        List<SearchSpace.Dimension> dims = new ArrayList<>();
        for (int j = 0; j < d; j++) dims.add(new SearchSpace.Range("x" + j, 0, 1, false));
        return new SearchSpace(dims);
    }

    @Test
    void convergesOnASphereInFourDimensions() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] centre = new double[4];
        for (int j = 0; j < 4; j++) centre[j] = 0.2 + 0.6 * rnd.nextDouble();
        EvolutionPolicy policy = new EvolutionPolicy(unit(4), EvolutionPolicy.defaultPopulation(4), 0.3, seed);
        assertEquals(8, policy.population(), "λ = 4 + ⌊3 ln 4⌋");
        List<Observation> h = Searches.run(policy, c -> {
            double s = 0;
            for (int j = 0; j < 4; j++) s += Math.pow(c.point()[j] - centre[j], 2);
            return new double[] {-s};
        }, 8 * 100, 8);
        double best = h.stream().mapToDouble(o -> -o.scores()[0]).min().orElseThrow();
        double lastGeneration = h.subList(h.size() - 8, h.size()).stream().mapToDouble(o -> -o.scores()[0]).max().orElseThrow();
        String msg = "seed=" + seed + " centre " + java.util.Arrays.toString(centre);
        assertTrue(best < 1e-10, msg + ": best squared distance " + best);
        assertTrue(lastGeneration < 1e-8, msg + ": the whole last generation is close, the worst at " + lastGeneration);
    }

    @Test
    void theFirstGenerationIsTheCentrePlusSigmaTimesNormalDrawsReflectedIntoTheCube() {
        long seed = TestSeeds.next();
        int d = 3;
        EvolutionPolicy policy = new EvolutionPolicy(unit(d), 6, 0.7, seed);
        List<Candidate> gen = policy.propose(List.of(), 100);
        assertEquals(6, gen.size(), "seed=" + seed + ": one generation per batch");
        Draws draws = new Draws(seed, "agent.search", "evolution");
        for (int k = 0; k < 6; k++) {
            for (int j = 0; j < d; j++) {
                double v = 0.5 + 0.7 * draws.gaussian((long) k * d + j);
                // mirror at 0 and 1 until inside
                while (v < 0 || v > 1) v = v < 0 ? -v : 2 - v;
                assertEquals(v, gen.get(k).point()[j], 1e-15, "seed=" + seed + " member " + k + " coordinate " + j);
            }
        }
    }

    @Test
    void aPartialGenerationIsCompletedBeforeTheNextIsSampled() {
        long seed = TestSeeds.next();
        EvolutionPolicy policy = new EvolutionPolicy(unit(2), 6, 0.3, seed);
        List<Candidate> gen = policy.propose(List.of(), 6);
        List<Observation> h = new ArrayList<>();
        for (int k = 0; k < 4; k++) h.add(new Observation(gen.get(k), new double[] {k}));
        List<Candidate> rest = policy.propose(h, 10);
        Searches.assertSameCandidates(gen.subList(4, 6), rest, "seed=" + seed);
    }
}
