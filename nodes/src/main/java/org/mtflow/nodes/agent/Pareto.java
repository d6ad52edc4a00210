package org.mtflow.nodes.agent;

import java.util.ArrayList;
import java.util.List;

/** Pareto dominance over scores (larger is better in every objective). */
public final class Pareto {
    private Pareto() {}

    /** Whether {@code a} is at least as good as {@code b} everywhere and better somewhere. */
    public static boolean dominates(double[] a, double[] b) {
        boolean better = false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] < b[i]) return false;
            if (a[i] > b[i]) better = true;
        }
        return better;
    }

    /** The observations no other one dominates, failed ones left out, in index order. */
    public static List<Observation> front(List<Observation> history) {
        List<Observation> out = new ArrayList<>();
        for (Observation o : history) {
            if (o.failed()) continue;
            boolean dominated = false;
            for (Observation p : history) {
                if (!p.failed() && dominates(p.scores(), o.scores())) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) out.add(o);
        }
        return out;
    }

    /**
     * Whether observation {@code i} improved on all before it: it succeeded and no earlier success is at
     * least as good in every objective (for one objective: a strictly higher score than any before).
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
}
