package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Successive halving in synchronous rungs: many configurations at a small budget, the best of them
 * again at a larger one, until one rung runs at the full budget.
 *
 * <p>Options: {@code budget-param} (required) the template param that receives the budget, e.g.
 * {@code epochs} (not a dimension of the space); {@code min} and {@code max} (required, 0 < min <= max)
 * the smallest and the full budget, integers when both are written as integers (then every budget is
 * an integer); {@code eta} (integer >= 2, default 3) the factor between rungs; {@code n} (default
 * eta^(rungs − 1), so the last rung runs one configuration) the configurations of rung 0.
 *
 * <p>Algorithm: there are R = 1 + ⌊log_eta(max / min)⌋ rungs, rung r at budget max / eta^(R−1−r), so the
 * last runs at max and the first at a budget >= min. Rung 0 runs n configurations drawn uniformly from
 * the space; rung r + 1 runs the best ⌊n_r / eta⌋ (at least one) of rung r, best first, ranked by the
 * first score with ties to the lower index and failed candidates last. Each rung is one batch: its
 * candidates depend only on the rungs before it, and nothing is proposed once the last rung is done.
 */
public final class HalvingPolicy implements SearchPolicy {
    private final SearchSpace space;
    private final String budgetParam;
    private final Object[] budgets;
    private final int[] sizes;
    private final int[] starts;
    private final Draws draws;

    public HalvingPolicy(SearchSpace space, String budgetParam, double min, double max, boolean integral, int eta, Integer n, long seed) {
        if (!(min > 0) || !(max >= min)) throw new IllegalArgumentException("halving needs 0 < min <= max, got min " + min + ", max " + max);
        if (eta < 2) throw new IllegalArgumentException("halving eta must be >= 2, got " + eta);
        for (SearchSpace.Dimension d : space.dimensions()) {
            if (d.name().equals(budgetParam)) {
                throw new IllegalArgumentException("halving budget-param '" + budgetParam + "' is also a dimension of the space: halving sets it; remove it from the space");
            }
        }
        this.space = space;
        this.budgetParam = budgetParam;
        this.draws = new Draws(seed, "agent.search", "halving");
        int rungs = 1 + (int) Math.floor(StrictMath.log(max / min) / StrictMath.log(eta) + 1e-9);
        this.budgets = new Object[rungs];
        for (int r = 0; r < rungs; r++) {
            double b = max / StrictMath.pow(eta, rungs - 1 - r);
            budgets[r] = integral ? (Object) Math.max(Math.round(min), Math.round(b)) : (Object) Math.max(min, b);
        }
        int first = n != null ? n : (int) Math.min(Integer.MAX_VALUE / 2, StrictMath.pow(eta, rungs - 1));
        if (first < 1) throw new IllegalArgumentException("halving n must be >= 1, got " + first);
        this.sizes = new int[rungs];
        this.starts = new int[rungs];
        for (int r = 0; r < rungs; r++) {
            sizes[r] = r == 0 ? first : Math.max(1, sizes[r - 1] / eta);
            starts[r] = r == 0 ? 0 : starts[r - 1] + sizes[r - 1];
        }
    }

    static HalvingPolicy create(SearchSpace space, ObjectNode options, long seed) {
        SearchPolicies.Options o = new SearchPolicies.Options("halving", options, "budget-param", "min", "max", "eta", "n");
        String param = o.text("budget-param", "epochs");
        double min = o.number("min", 0, "1"), max = o.number("max", 0, "27");
        if (max < min) throw new IllegalArgumentException("policy halving: option max (" + max + ") must be >= min (" + min + ")");
        return new HalvingPolicy(space, param, min, max, o.integral("min") && o.integral("max"),
                o.integer("eta", 3, 2), o.has("n") ? o.integer("n", 1, 1) : null, seed);
    }

    /** The budget of each rung. */
    public List<Object> budgets() { return List.of(budgets); }

    /** The number of candidates of each rung. */
    public List<Integer> sizes() { return java.util.Arrays.stream(sizes).boxed().toList(); }

    @Override
    public List<Candidate> propose(List<Observation> history, int count) {
        int h = history.size();
        int rung = 0;
        while (rung < sizes.length && h >= starts[rung] + sizes[rung]) rung++;
        if (rung == sizes.length) return List.of();
        List<double[]> configs = configs(rung, history);
        List<Candidate> out = new ArrayList<>();
        for (int i = h - starts[rung]; i < sizes[rung] && out.size() < count; i++) {
            double[] point = configs.get(i);
            Map<String, Object> params = new LinkedHashMap<>(space.decode(point));
            params.put(budgetParam, budgets[rung]);
            out.add(new Candidate(starts[rung] + i, params, point));
        }
        return out;
    }

    /** The points rung {@code r} runs, in order: drawn for rung 0, else the best of rung r − 1. */
    private List<double[]> configs(int r, List<Observation> history) {
        List<double[]> out = new ArrayList<>();
        if (r == 0) {
            int d = space.size();
            for (int i = 0; i < sizes[0]; i++) {
                double[] p = new double[d];
                for (int j = 0; j < d; j++) p[j] = draws.uniform((long) i * d + j);
                out.add(p);
            }
            return out;
        }
        List<Observation> previous = new ArrayList<>(history.subList(starts[r - 1], starts[r - 1] + sizes[r - 1]));
        previous.sort(RANK);
        for (int i = 0; i < sizes[r]; i++) out.add(previous.get(i).candidate().point());
        return out;
    }

    /** Best first by the first score, failed last, ties to the lower index. */
    static final Comparator<Observation> RANK = Comparator
            .comparing((Observation o) -> o.failed() || Double.isNaN(o.scores()[0]))
            .thenComparing(o -> o.failed() ? 0 : -o.scores()[0])
            .thenComparingInt(o -> o.candidate().index());
}
