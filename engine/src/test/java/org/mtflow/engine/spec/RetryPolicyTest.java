package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(1), 0.2,
            List.of(ErrorClass.ANY));

    @Test
    void delayDoublesFromTheBackoffAndStopsAtTheCap() {
        assertEquals(Duration.ofMillis(100), policy.delayBefore(2));
        assertEquals(Duration.ofMillis(200), policy.delayBefore(3));
        assertEquals(Duration.ofMillis(400), policy.delayBefore(4));
        assertEquals(Duration.ofMillis(800), policy.delayBefore(5));
        assertEquals(Duration.ofSeconds(1), policy.delayBefore(6));
        assertEquals(Duration.ofSeconds(1), policy.delayBefore(40));
        assertEquals(Duration.ofSeconds(1), policy.delayBefore(Integer.MAX_VALUE));
    }

    @Test
    void delayIsNeverShorterThanTheBackoffForEarlyOrOddAttemptNumbers() {
        assertEquals(Duration.ofMillis(100), policy.delayBefore(1));
        assertEquals(Duration.ofMillis(100), policy.delayBefore(0));
    }

    @Test
    void delayNeverDecreasesAsAttemptsGrow() {
        RetryPolicy slow = new RetryPolicy(100, Duration.ofSeconds(3), Duration.ofDays(1), 0, List.of(ErrorClass.ANY));
        Duration previous = Duration.ZERO;
        for (int next = 2; next < 100; next++) {
            Duration d = slow.delayBefore(next);
            assertTrue(d.compareTo(previous) >= 0, "delay before attempt " + next + " is " + d + " < " + previous);
            assertTrue(d.compareTo(Duration.ofDays(1)) <= 0);
            previous = d;
        }
        assertEquals(Duration.ofDays(1), previous);
    }

    @Test
    void permanentErrorsAreNeverRetried() {
        assertFalse(policy.retries(ErrorClass.PERMANENT));
        assertFalse(new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0, List.of(ErrorClass.PERMANENT))
                .retries(ErrorClass.PERMANENT));
    }

    @Test
    void anyCoversEveryOtherClass() {
        for (ErrorClass c : List.of(ErrorClass.TRANSIENT, ErrorClass.OOM, ErrorClass.DEVICE, ErrorClass.TIMEOUT)) {
            assertTrue(policy.retries(c), c.token());
        }
    }

    @Test
    void aListedClassIsRetriedAndOthersAreNot() {
        RetryPolicy onTimeout = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0, List.of(ErrorClass.TIMEOUT));
        assertTrue(onTimeout.retries(ErrorClass.TIMEOUT));
        assertFalse(onTimeout.retries(ErrorClass.TRANSIENT));
        assertFalse(onTimeout.retries(ErrorClass.OOM));
    }

    @Test
    void errorClassTokensRoundTrip() {
        for (ErrorClass c : ErrorClass.values()) {
            assertEquals(c, ErrorClass.parse(c.token()));
            assertEquals(c.name().toLowerCase(), c.token());
        }
        assertEquals(ErrorClass.TIMEOUT, ErrorClass.parse("TIMEOUT"));
    }
}
