package org.mtflow.nodes;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Seeds for randomized tests: a fresh one each run, or the one given with
 * {@code -Dmtflow.test.seed=N} to replay a failure. Tests print the seed in their assertion messages.
 */
public final class TestSeeds {
    private TestSeeds() {}

    public static long next() {
        Long fixed = Long.getLong("mtflow.test.seed");
        return fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
    }
}
