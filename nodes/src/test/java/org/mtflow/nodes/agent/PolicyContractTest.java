package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

/** The determinism contract of {@link SearchPolicy}, for every registered policy. */
class PolicyContractTest {
    static final SearchSpace SPACE = new SearchSpace(List.of(
            new SearchSpace.Range("lr", 1e-4, 1e-1, true),
            new SearchSpace.Range("lambda", -1, 1, false),
            new SearchSpace.IntRange("layers", 1, 4),
            new SearchSpace.Choice("method", List.of("ties", "dare-ties", "task-arithmetic"))));

    static ObjectNode options(String policy) {
        return policy.equals("halving")
                ? Searches.options(Map.of("budget-param", "epochs", "min", 1, "max", 9))
                : Searches.JSON.createObjectNode();
    }

    /** A score with some structure, and every seventh candidate failed. */
    static double[] score(Candidate c, SplittableRandom noise) {
        if (c.index() % 7 == 6) return null;
        double[] p = c.point();
        return new double[] {-(p[0] - 0.3) * (p[0] - 0.3) - (p[1] - 0.6) * (p[1] - 0.6) + 0.01 * noise.nextDouble()};
    }

    @Test
    void theSameHistoryGivesBitIdenticalCandidatesAndBatchesExtendTheirPrefixes() {
        long seed = TestSeeds.next();
        for (String name : SearchPolicies.names()) {
            String msg = "seed=" + seed + " policy=" + name;
            SearchPolicy policy = SearchPolicies.named(name).orElseThrow().create(SPACE, options(name), seed);
            SplittableRandom noise = new SplittableRandom(seed);
            List<Observation> history = Searches.run(policy, c -> score(c, noise), 16, 3);
            assertFalse(history.isEmpty(), msg);
            // a fresh policy from the same inputs, shown the same history, decides the same
            SearchPolicy again = SearchPolicies.named(name).orElseThrow().create(SPACE, options(name), seed);
            for (int h : new int[] {0, 5, history.size()}) {
                List<Observation> prefix = history.subList(0, h);
                List<Candidate> batch = policy.propose(prefix, 4);
                Searches.assertSameCandidates(batch, again.propose(prefix, 4), msg + " history " + h);
                // the first k of a batch of 4 are the batch of k
                for (int k = 1; k <= batch.size(); k++) {
                    Searches.assertSameCandidates(batch.subList(0, k), policy.propose(prefix, k), msg + " history " + h + " batch " + k);
                }
            }
            // a replayed search (proposals one by one, the same scores) runs the same candidates
            SplittableRandom noise2 = new SplittableRandom(seed);
            List<Observation> replay = Searches.run(again, c -> score(c, noise2), 16, 3);
            Searches.assertSameCandidates(history.stream().map(Observation::candidate).toList(),
                    replay.stream().map(Observation::candidate).toList(), msg + " replay");
        }
    }

    @Test
    void batchesOfOneRunTheSameCandidatesWhereABatchDoesNotLearnFromItsOwnMembers() {
        long seed = TestSeeds.next();
        for (String name : SearchPolicies.names()) {
            String msg = "seed=" + seed + " policy=" + name;
            SplittableRandom n1 = new SplittableRandom(seed), n3 = new SplittableRandom(seed);
            List<Observation> ones = Searches.run(SearchPolicies.named(name).orElseThrow().create(SPACE, options(name), seed), c -> score(c, n1), 16, 1);
            SearchPolicy policy = SearchPolicies.named(name).orElseThrow().create(SPACE, options(name), seed);
            List<Observation> threes = Searches.run(policy, c -> score(c, n3), 16, 3);
            if (name.equals("bayes")) {
                // bayes learns within a batch by believing its earlier members, so only each batch's
                // first member is the proposal of one made from the same history
                for (int h = 0; h < threes.size(); h += 3) {
                    Searches.assertSameCandidates(List.of(threes.get(h).candidate()), policy.propose(threes.subList(0, h), 1), msg + " batch at " + h);
                }
            } else {
                // random and grid never learn; evolution and halving learn between generations and rungs only
                Searches.assertSameCandidates(ones.stream().map(Observation::candidate).toList(),
                        threes.stream().map(Observation::candidate).toList(), msg);
            }
        }
    }

    @Test
    void aDifferentSeedGivesDifferentCandidates() {
        long seed = TestSeeds.next();
        for (String name : SearchPolicies.names()) {
            if (name.equals("grid")) continue; // the grid has no randomness
            List<Candidate> a = SearchPolicies.named(name).orElseThrow().create(SPACE, options(name), seed).propose(List.of(), 3);
            List<Candidate> b = SearchPolicies.named(name).orElseThrow().create(SPACE, options(name), seed + 1).propose(List.of(), 3);
            assertFalse(java.util.Arrays.equals(a.get(0).point(), b.get(0).point()), "seed=" + seed + " policy=" + name);
        }
    }

    @Test
    void noPolicyProposesTheSameParamsTwiceInASmallDiscreteSpace() {
        long seed = TestSeeds.next();
        SearchSpace small = new SearchSpace(List.of(new SearchSpace.IntRange("a", 0, 2), new SearchSpace.Choice("b", List.of("x", "y"))));
        for (String name : List.of("grid", "bayes")) {
            SearchPolicy p = SearchPolicies.named(name).orElseThrow().create(small, Searches.JSON.createObjectNode(), seed);
            List<Observation> h = Searches.run(p, c -> c.index() % 3 == 0 ? null : new double[] {c.point()[0]}, 50, 2);
            var seen = new HashSet<Map<String, Object>>();
            for (Observation o : h) assertTrue(seen.add(o.candidate().params()), "seed=" + seed + " " + name + " repeated " + o.candidate());
            assertEquals(6, h.size(), "seed=" + seed + " " + name + " runs each of the 6 cells once, then stops");
        }
    }

    @Test
    void unknownOrBadOptionsAreRefusedNamingTheOptionAndTheFix() {
        Map<String, String> cases = Map.of(
                "random", "{\"points\": 3}|policy random: unknown option 'points'; it takes no options",
                "grid", "{\"points\": 0}|policy grid: option points must be an integer >= 1, got 0; write e.g. points: 5",
                "bayes", "{\"initial\": \"many\"}|policy bayes: option initial must be an integer >= 1",
                "evolution", "{\"popsize\": 8}|policy evolution: unknown option 'popsize'; it takes population, sigma",
                "halving", "{\"min\": 1, \"max\": 9}|policy halving: option budget-param must be a param name, got nothing; write e.g. budget-param: epochs");
        cases.forEach((name, c) -> {
            String[] parts = c.split("\\|");
            ObjectNode o;
            try {
                o = (ObjectNode) Searches.JSON.readTree(parts[0]);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SearchPolicies.named(name).orElseThrow().create(SPACE, o, 1), name);
            assertTrue(e.getMessage().startsWith(parts[1]), () -> name + " gave: " + e.getMessage());
        });
    }
}
