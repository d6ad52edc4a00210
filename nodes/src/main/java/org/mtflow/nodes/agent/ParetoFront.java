package org.mtflow.nodes.agent;

import java.util.ArrayList;
import java.util.List;

/** The non-dominated observations of a multi-objective search (scores larger-is-better). */
public final class ParetoFront {
    private ParetoFront() {}

    /**
     * The observations that no other observation dominates (at least as good in every score and
     * better in one), failed ones left out, in the order given (index order for a history). Equal
     * score vectors do not dominate each other, so both stay.
     */
    public static List<Observation> of(List<Observation> observations) {
        List<double[]> scores = new ArrayList<>();
        List<Observation> ok = new ArrayList<>();
        for (Observation o : observations) {
            if (o.failed()) continue;
            double[] s = o.scores();
            if (!scores.isEmpty() && s.length != scores.get(0).length) {
                throw new IllegalArgumentException("candidate " + o.candidate().index() + " has " + s.length
                        + " scores, candidate " + ok.get(0).candidate().index() + " has " + scores.get(0).length + ": every objective needs a score");
            }
            ok.add(o);
            scores.add(s);
        }
        List<Observation> front = new ArrayList<>();
        for (int i = 0; i < ok.size(); i++) {
            boolean dominated = false;
            for (int j = 0; j < ok.size() && !dominated; j++) dominated = j != i && dominates(scores.get(j), scores.get(i));
            if (!dominated) front.add(ok.get(i));
        }
        return front;
    }

    /**
     * Whether observation {@code i} of a history improved on all before it: it succeeded and no earlier
     * success is at least as good in every score (for one score: strictly higher than any before).
     */
    public static boolean improves(List<Observation> history, int i) {
        Observation o = history.get(i);
        if (o.failed()) return false;
        for (int j = 0; j < i; j++) {
            Observation p = history.get(j);
            if (!p.failed() && (dominates(p.scores(), o.scores()) || java.util.Arrays.equals(p.scores(), o.scores()))) return false;
        }
        return true;
    }

    /** Whether {@code a} is at least as good as {@code b} in every score and better in one. */
    static boolean dominates(double[] a, double[] b) {
        boolean better = false;
        for (int k = 0; k < a.length; k++) {
            if (a[k] < b[k]) return false;
            if (a[k] > b[k]) better = true;
        }
        return better;
    }
}
