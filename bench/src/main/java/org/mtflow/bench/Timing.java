package org.mtflow.bench;

import java.util.Arrays;

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
        int calls = callsSoFar;
        double warm = secondsSoFar;
        // Warm-up: at least minWarmups calls and warmupSeconds, never past warmupCapSeconds (a call
        // that takes seconds is JIT-compiled after the first and needs no more warm-up).
        while ((calls < plan.minWarmups() || warm < plan.warmupSeconds()) && warm < plan.warmupCapSeconds()) {
            long t0 = System.nanoTime();
            call.run();
            warm += (System.nanoTime() - t0) / 1e9;
            calls++;
        }
        long[] times = new long[plan.reps()];
        int n = 0;
        double total = 0;
        while (n < plan.reps()) {
            long t0 = System.nanoTime();
            call.run();
            long t = System.nanoTime() - t0;
            times[n++] = t;
            total += t / 1e9;
            if (total >= plan.maxSeconds()) break;
        }
        long[] done = Arrays.copyOf(times, n);
        Arrays.sort(done);
        long median = n % 2 == 1 ? done[n / 2] : (done[n / 2 - 1] + done[n / 2]) / 2;
        return new Timing(n, done[0], median);
    }
}
