package org.mtflow.engine.spec;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * How often and when a failed task is tried again: up to {@code attempts} attempts in all, waiting
 * {@code backoff · 2^(n-1)} (at most {@code maxBackoff}) plus up to {@code jitter} of that at random
 * before attempt n+1, for errors whose class is in {@code on}.
 */
public record RetryPolicy(
        int attempts,
        @JsonProperty("backoff") Duration backoff,
        @JsonProperty("max-backoff") Duration maxBackoff,
        double jitter,
        List<ErrorClass> on) {

    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ofMillis(100), Duration.ofMinutes(1), 0.1,
            List.of(ErrorClass.ANY));

    public RetryPolicy {
        on = List.copyOf(on);
    }

    /** Whether an attempt that failed with {@code error} may be retried under this policy. */
    public boolean retries(ErrorClass error) {
        if (error == ErrorClass.PERMANENT) return false;
        Set<ErrorClass> set = Set.copyOf(on);
        return set.contains(ErrorClass.ANY) || set.contains(error);
    }

    /** The wait before attempt {@code next} (2 for the first retry), without jitter. */
    public Duration delayBefore(int next) {
        long base = backoff.toMillis();
        long ms = base << Math.min(30, Math.max(0, next - 2));
        return Duration.ofMillis(Math.min(ms < 0 ? Long.MAX_VALUE : ms, maxBackoff.toMillis()));
    }
}
