package org.mtflow.nodes.agent;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cells of discrete dimensions in the unit cube: an int or a choice of k values owns k equal cells,
 * and a policy that models the cube (bayes) puts every such coordinate at its cell's centre, so two
 * points with the same params are the same point to it.
 */
final class UnitCells {
    private UnitCells() {}

    /** How many cells a dimension has, or 0 for a continuous range. */
    static long cells(SearchSpace.Dimension dim) {
        if (dim instanceof SearchSpace.IntRange r) return r.count();
        if (dim instanceof SearchSpace.Choice c) return c.values().size();
        return 0;
    }

    /** The centre of cell {@code c} of {@code k}. */
    static double centre(long c, long k) { return (c + 0.5) / k; }

    /** The point with each discrete coordinate moved to the centre of its cell (a new array). */
    static double[] snap(SearchSpace space, double[] point) {
        double[] out = point.clone();
        for (int j = 0; j < out.length; j++) {
            long k = cells(space.dimensions().get(j));
            if (k > 0) out[j] = centre(Math.min(k - 1, (long) Math.floor(Math.max(0, out[j]) * k)), k);
        }
        return out;
    }

    /** The params of every candidate proposed so far: a policy never proposes the same params twice. */
    static Set<Map<String, Object>> taken(List<Observation> history) {
        Set<Map<String, Object>> taken = new HashSet<>();
        for (Observation o : history) taken.add(o.candidate().params());
        return taken;
    }
}
