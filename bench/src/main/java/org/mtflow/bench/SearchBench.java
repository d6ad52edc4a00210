package org.mtflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.mtflow.nodes.agent.Candidate;
import org.mtflow.nodes.agent.Observation;
import org.mtflow.nodes.agent.SearchPolicies;
import org.mtflow.nodes.agent.SearchPolicy;
import org.mtflow.nodes.agent.SearchSpace;

/**
 * Search policies (issue 9) on standard test functions: simple regret after 15, 30 and 50 evaluations,
 * median and quartiles over seeds, and the wall time per proposal.
 *
 * <ul>
 *   <li>Branin (2-d, on [−5, 10] × [0, 15], minimum 0.397887) and Hartmann-6 (6-d, on [0, 1]^6,
 *       minimum −3.32237), observed exactly;</li>
 *   <li>noisy Branin: each observation gets Gaussian noise of σ = {@value #NOISE}; the regret is of the
 *       true function at the incumbent (the candidate with the best observed score), so a policy fooled
 *       by a lucky observation pays for it;</li>
 *   <li>halving on a multi-fidelity Branin: the budget b in [1, 27] is the fidelity, observations have
 *       noise σ = 10/√b, and a run costs b/27 of a full evaluation; n = 200 configurations make ~29 full
 *       evaluations, against random at 30 full evaluations of the same function.</li>
 * </ul>
 * Regret = f(incumbent) − f*, minimising f (the policies maximise −f). Each search proposes one candidate
 * at a time. Seeds 1..N. Last, the time of one bayes proposal after a random history of 25 to 200
 * Hartmann-6 evaluations.
 *
 * <pre>bench/run.sh SearchBench [--seeds N (default 10)] [--policies random,grid,bayes,evolution]</pre>
 */
public final class SearchBench {
    static final double NOISE = 1.0;
    static final int[] BUDGETS = {15, 30, 50};
    private static final ObjectMapper JSON = new ObjectMapper();

    record Problem(String name, int d, ToDoubleFunction<double[]> f, double min, double noise) {}

    public static void main(String[] args) {
        int seeds = 10;
        List<String> policies = List.of("random", "grid", "bayes", "evolution");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--policies" -> policies = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: SearchBench [--seeds N] [--policies a,b]");
            }
        }
        List<Problem> problems = List.of(
                new Problem("branin", 2, SearchBench::branin, 0.397887357729739, 0),
                new Problem("hartmann6", 6, SearchBench::hartmann6, -3.32236801141551, 0),
                new Problem("noisy-branin", 2, SearchBench::branin, 0.397887357729739, NOISE));
        System.out.printf(Locale.ROOT, "SearchBench: %d seeds, one proposal at a time; simple regret median [q1, q3]%n", seeds);
        System.out.printf(Locale.ROOT, "%-13s %-10s %-30s %-30s %-30s %12s%n", "function", "policy", "regret@15", "regret@30", "regret@50", "ms/proposal");
        for (Problem p : problems) {
            for (String policy : policies) {
                double[][] regret = new double[BUDGETS.length][seeds];
                double seconds = 0;
                int proposals = 0;
                for (int s = 0; s < seeds; s++) {
                    Run run = search(p, policy, s + 1, BUDGETS[BUDGETS.length - 1]);
                    for (int b = 0; b < BUDGETS.length; b++) regret[b][s] = run.regret(Math.min(BUDGETS[b], run.trueValues.size()), p.min);
                    seconds += run.seconds;
                    proposals += run.trueValues.size();
                }
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-13s %-10s", p.name, policy));
                for (double[] r : regret) row.append(' ').append(String.format(Locale.ROOT, "%-30s", quartiles(r)));
                row.append(String.format(Locale.ROOT, " %12.2f", 1000 * seconds / proposals));
                System.out.println(row);
            }
        }
        halving(seeds);
        bayesProposalTime();
    }

    /** How the time of one bayes proposal grows with the history (Hartmann-6, random history, median of 3). */
    static void bayesProposalTime() {
        SearchSpace space = unitSpace(6);
        StringBuilder line = new StringBuilder("bayes ms per proposal on Hartmann-6 by history size:");
        for (int n : new int[] {25, 50, 100, 200}) {
            List<Observation> history = new ArrayList<>();
            for (Candidate c : SearchPolicies.named("random").orElseThrow().create(space, JSON.createObjectNode(), 1).propose(List.of(), n)) {
                history.add(new Observation(c, new double[] {-hartmann6(coordinates(c, 6))}));
            }
            SearchPolicy bayes = SearchPolicies.named("bayes").orElseThrow().create(space, JSON.createObjectNode(), 1);
            double[] ms = new double[3];
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                bayes.propose(history, 1);
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            line.append(String.format(Locale.ROOT, " n=%d %.0f", n, ms[1]));
        }
        System.out.println(line);
    }

    /** One search: the true values and observed scores in index order, and the time spent proposing. */
    record Run(List<Double> trueValues, List<Double> observed, double seconds) {
        /** f at the candidate with the best observed score among the first {@code n}, less the minimum. */
        double regret(int n, double min) {
            int best = 0;
            for (int i = 1; i < n; i++) if (observed.get(i) > observed.get(best)) best = i;
            return trueValues.get(best) - min;
        }
    }

    static Run search(Problem p, String policyName, long seed, int budget) {
        SearchSpace space = unitSpace(p.d);
        SearchPolicy policy = SearchPolicies.named(policyName).orElseThrow().create(space, options(policyName, p.d, budget), seed);
        SplittableRandom noise = new SplittableRandom(seed * 7919 + p.name.hashCode());
        List<Observation> history = new ArrayList<>();
        List<Double> truth = new ArrayList<>(), observed = new ArrayList<>();
        long nanos = 0;
        while (history.size() < budget) {
            long t0 = System.nanoTime();
            List<Candidate> next = policy.propose(history, 1);
            nanos += System.nanoTime() - t0;
            if (next.isEmpty()) break;
            Candidate c = next.get(0);
            double f = p.f.applyAsDouble(coordinates(c, p.d));
            double y = f + (p.noise > 0 ? p.noise * gaussian(noise) : 0);
            truth.add(f);
            observed.add(-y);
            history.add(new Observation(c, new double[] {-y}));
        }
        return new Run(truth, observed, nanos / 1e9);
    }

    static SearchSpace unitSpace(int d) {
        List<SearchSpace.Dimension> dims = new ArrayList<>();
        for (int j = 0; j < d; j++) dims.add(new SearchSpace.Range("x" + (j + 1), 0, 1, false));
        return new SearchSpace(dims);
    }

    /** grid: the most points per dimension whose grid fits the largest budget (at least 2). */
    static ObjectNode options(String policy, int d, int budget) {
        ObjectNode o = JSON.createObjectNode();
        if (policy.equals("grid")) o.put("points", Math.max(2, (int) Math.floor(Math.pow(budget, 1.0 / d) + 1e-9)));
        return o;
    }

    static double[] coordinates(Candidate c, int d) {
        double[] x = new double[d];
        for (int j = 0; j < d; j++) x[j] = ((Number) c.params().get("x" + (j + 1))).doubleValue();
        return x;
    }

    static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** Branin on the unit square mapped to [−5, 10] × [0, 15]. */
    static double branin(double[] u) {
        double x1 = -5 + 15 * u[0], x2 = 15 * u[1];
        double a = x2 - 5.1 / (4 * Math.PI * Math.PI) * x1 * x1 + 5 / Math.PI * x1 - 6;
        return a * a + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
    }

    private static final double[] H_ALPHA = {1.0, 1.2, 3.0, 3.2};
    private static final double[][] H_A = {
            {10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
    private static final double[][] H_P = {
            {0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886}, {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
            {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650}, {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};

    static double hartmann6(double[] x) {
        double f = 0;
        for (int i = 0; i < 4; i++) {
            double s = 0;
            for (int j = 0; j < 6; j++) s += H_A[i][j] * (x[j] - H_P[i][j]) * (x[j] - H_P[i][j]);
            f -= H_ALPHA[i] * Math.exp(-s);
        }
        return f;
    }

    /** halving vs random on the multi-fidelity Branin at about the same cost in full evaluations. */
    static void halving(int seeds) {
        int max = 27, n = 200;
        double[] halvingRegret = new double[seeds], randomRegret = new double[seeds];
        double halvingCost = 0, seconds = 0;
        int proposals = 0;
        for (int s = 0; s < seeds; s++) {
            ObjectNode o = JSON.createObjectNode().put("budget-param", "b").put("min", 1).put("max", max).put("n", n);
            SearchPolicy policy = SearchPolicies.named("halving").orElseThrow().create(unitSpace(2), o, s + 1);
            SplittableRandom noise = new SplittableRandom(s + 1);
            List<Observation> history = new ArrayList<>();
            Map<Integer, Double> truth = new LinkedHashMap<>();
            int lastRungStart = 0;
            while (true) {
                long t0 = System.nanoTime();
                List<Candidate> next = policy.propose(history, n);
                seconds += (System.nanoTime() - t0) / 1e9;
                if (next.isEmpty()) break;
                proposals += next.size();
                if (((Number) next.get(0).params().get("b")).intValue() == max) lastRungStart = next.get(0).index();
                for (Candidate c : next) {
                    int b = ((Number) c.params().get("b")).intValue();
                    double f = branin(coordinates(c, 2));
                    truth.put(c.index(), f);
                    halvingCost += (double) b / max;
                    history.add(new Observation(c, new double[] {-(f + 10 / Math.sqrt(b) * gaussian(noise))}));
                }
            }
            int best = lastRungStart;
            for (int i = lastRungStart; i < history.size(); i++) if (history.get(i).scores()[0] > history.get(best).scores()[0]) best = i;
            halvingRegret[s] = truth.get(best) - 0.397887357729739;
            Problem full = new Problem("fidelity-branin@27", 2, SearchBench::branin, 0.397887357729739, 10 / Math.sqrt(max));
            randomRegret[s] = search(full, "random", s + 1, 30).regret(30, full.min);
        }
        System.out.printf(Locale.ROOT, "multi-fidelity Branin (noise 10/sqrt(b), b in [1, 27], eta 3, n %d): halving regret %s at %.1f full evaluations, %.3f ms/proposal; random at 30 full evaluations: %s%n",
                n, quartiles(halvingRegret), halvingCost / seeds, 1000 * seconds / proposals, quartiles(randomRegret));
    }

    static String quartiles(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.4g [%.3g, %.3g]", quantile(s, 0.5), quantile(s, 0.25), quantile(s, 0.75));
    }

    /** Linear interpolation between order statistics. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
