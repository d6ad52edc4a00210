package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "500ms, 500",
        "30s, 30000",
        "1.5s, 1500",
        "2m, 120000",
        "1h, 3600000",
        "1d, 86400000",
        "0.5m, 30000",
        "' 10 s ', 10000",
        "0s, 0",
    })
    void parsesEveryUnit(String text, long millis) {
        assertEquals(Optional.of(Duration.ofMillis(millis)), Durations.parse(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10", "s", "-5s", "10 sec", "1w", "10S", "1e3ms", "ten seconds", "5s5"})
    void rejectsWhatIsNotADuration(String text) {
        assertTrue(Durations.parse(text).isEmpty(), () -> "'" + text + "' parsed as " + Durations.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"1500, 1500ms", "30000, 30s", "120000, 2m", "5400000, 90m", "3600000, 1h", "172800000, 2d",
            "0, 0ms", "61000, 61s"})
    void formatsWithTheLargestExactUnit(long millis, String text) {
        assertEquals(text, Durations.format(Duration.ofMillis(millis)));
    }

    @Test
    void formatThenParseIsTheIdentityOnMilliseconds() {
        long seed = 20261125L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 2000; i++) {
            // Mix round values (which format with big units) and arbitrary ones.
            long unit = new long[] {1, 1000, 60_000, 3_600_000, 86_400_000}[rnd.nextInt(5)];
            Duration d = Duration.ofMillis(rnd.nextLong(0, 10_000) * unit + (rnd.nextBoolean() ? rnd.nextLong(0, 1000) : 0));
            String text = Durations.format(d);
            assertEquals(Optional.of(d), Durations.parse(text), "seed " + seed + ", case " + i + ": " + d + " -> " + text);
        }
    }
}
