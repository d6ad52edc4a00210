package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The cartesian grid over the space, proposed in a fixed order and then nothing.
 *
 * <p>Option {@code points} (default 5, at least 1): how many values each dimension takes. A range
 * takes {@code points} evenly spaced values from lo to hi, both included (evenly spaced in log space for
 * a log range; one point takes the middle); an int takes every integer when it has at most
 * {@code points}, else {@code points} evenly spaced integers from lo to hi (rounded); a choice takes
 * every value. Candidate i is grid cell i, counting like nested loops with the first dimension
 * outermost, so the order does not depend on the results and a resumed grid continues where it was.
 */
public final class GridPolicy implements SearchPolicy {
    private final SearchSpace space;
    /** Per dimension, the unit coordinates of its values. */
    private final double[][] axes;
    private final long total;

    public GridPolicy(SearchSpace space, int points) {
        if (points < 1) throw new IllegalArgumentException("grid points must be >= 1, got " + points);
        this.space = space;
        this.axes = new double[space.size()][];
        long n = 1;
        for (int j = 0; j < space.size(); j++) {
            axes[j] = axis(space.dimensions().get(j), points);
            n *= axes[j].length;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("a grid of " + points + " points per dimension over " + space.size() + " dimensions has more than 2^31 cells; lower points or search with random or bayes");
        }
        this.total = n;
    }

    static GridPolicy create(SearchSpace space, ObjectNode options, long seed) {
        SearchPolicies.Options o = new SearchPolicies.Options("grid", options, "points");
        return new GridPolicy(space, o.integer("points", 5, 1));
    }

    private static double[] axis(SearchSpace.Dimension dim, int points) {
        long k = UnitCells.cells(dim);
        if (k == 0) {
            double[] u = new double[points];
            for (int i = 0; i < points; i++) u[i] = points == 1 ? 0.5 : (double) i / (points - 1);
            return u;
        }
        // a choice takes every value; an int at most `points` of its integers
        int m = (int) (dim instanceof SearchSpace.Choice ? k : Math.min(k, points));
        double[] u = new double[m];
        for (int i = 0; i < m; i++) {
            long c = m == k ? i : m == 1 ? (k - 1) / 2 : Math.round((double) i * (k - 1) / (m - 1));
            u[i] = UnitCells.centre(c, k);
        }
        return u;
    }

    /** The number of grid cells. */
    public long size() { return total; }

    @Override
    public List<Candidate> propose(List<Observation> history, int count) {
        List<Candidate> out = new ArrayList<>();
        for (long index = history.size(); index < total && out.size() < count; index++) {
            double[] point = new double[axes.length];
            long rest = index;
            for (int j = axes.length - 1; j >= 0; j--) {
                point[j] = axes[j][(int) (rest % axes[j].length)];
                rest /= axes[j].length;
            }
            out.add(new Candidate((int) index, space.decode(point), point));
        }
        return out;
    }
}
