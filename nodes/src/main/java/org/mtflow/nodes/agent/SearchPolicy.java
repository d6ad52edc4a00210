package org.mtflow.nodes.agent;

import java.util.List;

/**
 * Decides which candidates a search runs next. A policy is a pure function of its space, options,
 * seed and the history it is shown: shown the same history it proposes the same candidates, which is
 * how a resumed search replays its decisions without a separate record of them. The search runs
 * candidates in batches and shows the policy every candidate of a batch before asking for the next, so
 * the proposals never depend on which candidate finished first.
 */
public interface SearchPolicy {

    /**
     * Up to {@code count} new candidates, indexed from {@code history.size()}; an empty list when the
     * policy has nothing more to propose (a grid is exhausted, halving reached its last rung).
     *
     * @param history every candidate proposed so far with what it gave, in index order
     */
    List<Candidate> propose(List<Observation> history, int count);
}
