package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Runs policies in tests: a search loop with a score function, and comparison of candidates bit by bit. */
final class Searches {
    static final ObjectMapper JSON = new ObjectMapper();

    private Searches() {}

    static ObjectNode options(Map<String, Object> values) {
        return JSON.valueToTree(values);
    }

    /** Proposes in batches of {@code batch} and scores each candidate until {@code budget} or the policy stops. */
    static List<Observation> run(SearchPolicy policy, Function<Candidate, double[]> score, int budget, int batch) {
        List<Observation> history = new ArrayList<>();
        while (history.size() < budget) {
            List<Candidate> next = policy.propose(history, Math.min(batch, budget - history.size()));
            if (next.isEmpty()) break;
            for (Candidate c : next) {
                assertEquals(history.size(), c.index(), "candidates are indexed from the history's size");
                history.add(new Observation(c, score.apply(c)));
            }
        }
        return history;
    }

    static void assertSameCandidates(List<Candidate> expected, List<Candidate> actual, String msg) {
        assertEquals(expected.size(), actual.size(), msg + ": number of candidates");
        for (int i = 0; i < expected.size(); i++) {
            Candidate e = expected.get(i), a = actual.get(i);
            assertEquals(e.index(), a.index(), msg + ": index of candidate " + i);
            assertEquals(e.params(), a.params(), msg + ": params of candidate " + i);
            double[] ep = e.point(), ap = a.point();
            assertEquals(ep.length, ap.length, msg + ": point length of candidate " + i);
            for (int j = 0; j < ep.length; j++) {
                assertEquals(Double.doubleToRawLongBits(ep[j]), Double.doubleToRawLongBits(ap[j]),
                        msg + ": candidate " + i + " coordinate " + j + " is " + ap[j] + ", expected " + ep[j]);
            }
        }
    }
}
