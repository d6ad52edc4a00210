package org.mtflow.nodes.agent;

import java.util.ArrayList;
import java.util.List;

/** Candidates drawn uniformly from the space (in log space for log ranges): candidate i is a function of (seed, i) alone. */
public final class RandomPolicy implements SearchPolicy {
    private final SearchSpace space;
    private final Draws draws;

    public RandomPolicy(SearchSpace space, long seed) {
        this.space = space;
        this.draws = new Draws(seed, "agent.search", "random");
    }

    @Override
    public List<Candidate> propose(List<Observation> history, int count) {
        List<Candidate> out = new ArrayList<>();
        int d = space.size();
        for (int k = 0; k < count; k++) {
            int index = history.size() + k;
            double[] point = new double[d];
            for (int j = 0; j < d; j++) point[j] = draws.uniform((long) index * d + j);
            out.add(new Candidate(index, space.decode(point), point));
        }
        return out;
    }
}
