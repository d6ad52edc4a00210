package org.mtflow.nodes.agent;

/**
 * What running a candidate gave.
 *
 * @param candidate the candidate
 * @param scores    its objectives, each turned so that larger is better (a minimized metric negated),
 *                  or null when the candidate failed
 */
public record Observation(Candidate candidate, double[] scores) {
    public Observation {
        scores = scores == null ? null : scores.clone();
    }

    public boolean failed() { return scores == null; }

    @Override public double[] scores() { return scores == null ? null : scores.clone(); }
}
