package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest
    @CsvSource({"4096, 4096", "12B, 12", "1KiB, 1024", "512MiB, 536870912", "2GiB, 2147483648",
            "1TiB, 1099511627776", "1KB, 1000", "1.5MB, 1500000", "1GB, 1000000000", "0.5GiB, 536870912"})
    void parsesBinaryAndDecimalUnits(String text, long bytes) {
        assertEquals(Optional.of(bytes), Sizes.parse(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "MiB", "-1", "1 XB", "1mib", "lots"})
    void rejectsWhatIsNotASize(String text) {
        assertTrue(Sizes.parse(text).isEmpty(), text);
    }

    @ParameterizedTest
    @CsvSource({"1024, 1KiB", "1536, 1536", "1048576, 1MiB", "3221225472, 3GiB", "1000, 1000", "0, 0"})
    void formatsWithTheLargestExactBinaryUnit(long bytes, String text) {
        assertEquals(text, Sizes.format(bytes));
    }

    @Test
    void formatThenParseIsTheIdentity() {
        long seed = 7L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 2000; i++) {
            long bytes = rnd.nextLong(0, 1L << 20) << (10 * rnd.nextInt(4));
            assertEquals(Optional.of(bytes), Sizes.parse(Sizes.format(bytes)), "seed " + seed + ", bytes " + bytes);
        }
    }
}
