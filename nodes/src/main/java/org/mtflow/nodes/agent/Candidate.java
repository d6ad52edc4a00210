package org.mtflow.nodes.agent;

import java.util.Map;

/**
 * One point a policy proposes.
 *
 * @param index  its place in the search, from 0: a subgraph is named after it, so a resumed search
 *               finds the candidates it already ran
 * @param params the template's params, as {@link SearchSpace#decode} gives them (plus a budget param for
 *               policies that set one, such as halving)
 * @param point  where it lies in the unit cube of the space
 */
public record Candidate(int index, Map<String, Object> params, double[] point) {
    public Candidate {
        params = Map.copyOf(params);
        point = point.clone();
    }

    @Override public double[] point() { return point.clone(); }
}
