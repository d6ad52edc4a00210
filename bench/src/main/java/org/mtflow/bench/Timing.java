package org.mtflow.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times repeated calls of one op: warm-up, then up to {@code reps} timed calls, each timed alone
 * with {@link System#nanoTime()}; reports the best and the median.
 *
 * @param reps     timed calls actually made (fewer than asked when the time budget ran out)
 * @param bestNs   the fastest call
 * @param medianNs the median call (mean of the middle two for an even count)
 */
record Timing(int reps, long bestNs, long medianNs) {

    /** How long to warm up and how many timed calls to make. */
    record Plan(int minWarmups, double warmupSeconds, double warmupCapSeconds, int reps, double maxSeconds) {}

    /** Sinks results of reductions so the JIT cannot drop a call whose value is unused. */
    static volatile double sink;

    /**
     * @param call        one call of the op
     * @param callsSoFar  calls already made (the checked first call), counted as warm-up
     * @param secondsSoFar time those calls took
     */
    static Timing measure(Runnable call, int callsSoFar, double secondsSoFar, Plan plan) {
        warmUp(call, callsSoFar, secondsSoFar, plan);
        return alternating(List.of(call), plan).get(0);
    }

    /**
     * Times an op and its references in rounds, one call of each per round, so that all of them see
     * the same machine: load from other processes that slows a round slows the op and its reference
     * alike, and the ratio of their best calls holds. Warm-up: the op as in {@link #measure}, each
     * reference two calls. Stops after {@code reps} rounds or once the op's timed calls took
     * {@code maxSeconds}.
     *
     * @return the op's timing, then one per reference
     */
    static List<Timing> alongside(Runnable op, int callsSoFar, double secondsSoFar, List<Runnable> references,
            Plan plan) {
        warmUp(op, callsSoFar, secondsSoFar, plan);
        Plan referencePlan = new Plan(2, 0, plan.warmupCapSeconds(), plan.reps(), plan.maxSeconds());
        for (Runnable r : references) warmUp(r, 0, 0, referencePlan);
        List<Runnable> calls = new ArrayList<>(references);
        calls.add(op);
        List<Timing> timings = alternating(calls, plan);
        List<Timing> opFirst = new ArrayList<>();
        opFirst.add(timings.get(timings.size() - 1));
        opFirst.addAll(timings.subList(0, timings.size() - 1));
        return opFirst;
    }

    /** Warm-up: at least minWarmups calls and warmupSeconds, never past warmupCapSeconds. */
    private static void warmUp(Runnable call, int callsSoFar, double secondsSoFar, Plan plan) {
        int calls = callsSoFar;
        double warm = secondsSoFar;
        // A call that takes seconds is JIT-compiled after the first and needs no more warm-up.
        while ((calls < plan.minWarmups() || warm < plan.warmupSeconds()) && warm < plan.warmupCapSeconds()) {
            long t0 = System.nanoTime();
            call.run();
            warm += (System.nanoTime() - t0) / 1e9;
            calls++;
        }
    }

    /** Up to {@code reps} rounds of one timed call of each; stops once the last call's total reached maxSeconds. */
    private static List<Timing> alternating(List<Runnable> calls, Plan plan) {
        long[][] times = new long[calls.size()][plan.reps()];
        int n = 0;
        double lastTotal = 0;
        while (n < plan.reps()) {
            for (int c = 0; c < calls.size(); c++) {
                long t0 = System.nanoTime();
                calls.get(c).run();
                times[c][n] = System.nanoTime() - t0;
            }
            lastTotal += times[calls.size() - 1][n++] / 1e9;
            if (lastTotal >= plan.maxSeconds()) break;
        }
        List<Timing> timings = new ArrayList<>();
        for (long[] t : times) {
            long[] done = Arrays.copyOf(t, n);
            Arrays.sort(done);
            long median = n % 2 == 1 ? done[n / 2] : (done[n / 2 - 1] + done[n / 2]) / 2;
            timings.add(new Timing(n, done[0], median));
        }
        return timings;
    }
}
