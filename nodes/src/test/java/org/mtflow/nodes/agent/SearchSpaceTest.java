package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class SearchSpaceTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static JsonNode yaml(String text) {
        try {
            return YAML.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void parsesEachDimensionKindInOrder() {
        SearchSpace s = SearchSpace.parse(yaml("""
                lambda: {range: [0.1, 1.5]}
                density: {range: [0.05, 1.0], log: true}
                epochs: {int: [1, 9]}
                method: {choice: [ties, 2, 0.5, true]}
                """), "task 'search' param space");
        assertEquals(List.of(
                new SearchSpace.Range("lambda", 0.1, 1.5, false),
                new SearchSpace.Range("density", 0.05, 1.0, true),
                new SearchSpace.IntRange("epochs", 1, 9),
                new SearchSpace.Choice("method", List.of("ties", 2L, 0.5, true))), s.dimensions());
    }

    @Test
    void everyParseErrorNamesThePlaceAndTheFix() {
        String where = "task 'search' param space";
        Map<String, String> cases = Map.ofEntries(
                Map.entry("a: {range: [2, 1]}", where + ".a: a: range needs finite lo < hi"),
                Map.entry("a: {range: [0, 1], log: true}", where + ".a: a: a log range needs lo > 0"),
                Map.entry("a: {int: [1.5, 3]}", where + ".a: int bounds must be integers"),
                Map.entry("a: {int: [5, 3]}", where + ".a: a: int needs lo <= hi"),
                Map.entry("a: {choice: []}", where + ".a: choice must be a non-empty list"),
                Map.entry("a: {choice: [[1]]}", where + ".a: choice values must be strings, numbers or booleans"),
                Map.entry("a: {range: [0, 1], int: [0, 1]}", where + ".a: needs exactly one of range, int, choice"),
                Map.entry("a: {rnage: [0, 1]}", where + ".a: unknown key 'rnage'"),
                Map.entry("a: {int: [0, 3], log: true}", where + ".a: log: true|false goes with range only"),
                Map.entry("a: {range: [0]}", where + ".a: bounds must be [lo, hi]"),
                Map.entry("a: 3", where + ".a: write {range: [lo, hi]}"),
                Map.entry("[1, 2]", where + " must be a map of param name to"));
        cases.forEach((text, expected) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SearchSpace.parse(yaml(text), where), text);
            assertTrue(e.getMessage().startsWith(expected), () -> text + " gave: " + e.getMessage());
        });
        assertThrows(IllegalArgumentException.class, () -> SearchSpace.parse(null, where));
    }

    @Test
    void decodeMapsTheUnitIntervalOntoEachKind() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        double lo = 1e-3 + rnd.nextDouble(), hi = lo * (2 + 100 * rnd.nextDouble());
        long ilo = rnd.nextInt(-20, 20), ihi = ilo + rnd.nextInt(0, 12);
        var range = new SearchSpace.Range("r", lo, hi, false);
        var log = new SearchSpace.Range("l", lo, hi, true);
        var ints = new SearchSpace.IntRange("i", ilo, ihi);
        var choice = new SearchSpace.Choice("c", List.of("a", "b", "c"));
        String msg = "seed=" + seed + " lo=" + lo + " hi=" + hi + " ints=[" + ilo + ", " + ihi + "]";
        // the bounds are hit exactly at 0 and 1, in log space too
        assertEquals(lo, (double) range.decode(0), msg);
        assertEquals(hi, (double) range.decode(1), msg);
        assertEquals(lo, (double) log.decode(0), msg);
        assertEquals(hi, (double) log.decode(1), msg);
        assertEquals(ilo, (long) ints.decode(0), msg);
        assertEquals(ihi, (long) ints.decode(1), msg);
        for (int t = 0; t < 200; t++) {
            double u = rnd.nextDouble();
            assertEquals(lo + u * (hi - lo), (double) range.decode(u), 1e-12 * hi, msg + " u=" + u);
            // log: geometric interpolation lo·(hi/lo)^u
            assertEquals(lo * Math.pow(hi / lo, u), (double) log.decode(u), 1e-12 * hi, msg + " u=" + u);
            // int: hi − lo + 1 equal cells; a u inside cell c gives lo + c
            long k = ihi - ilo + 1;
            long cell = rnd.nextLong(k);
            double inCell = (cell + 0.01 + 0.98 * rnd.nextDouble()) / k;
            assertEquals(ilo + cell, (long) ints.decode(inCell), msg + " cell=" + cell + " u=" + inCell);
            assertEquals(List.of("a", "b", "c").get((int) (u * 3)), choice.decode(u), msg + " u=" + u);
        }
        SearchSpace space = new SearchSpace(List.of(range, ints, choice));
        Map<String, Object> params = space.decode(new double[] {0, 1, 0.5});
        assertEquals(List.of("r", "i", "c"), List.copyOf(params.keySet()), msg);
        assertEquals(List.of(lo, ihi, "b"), List.copyOf(params.values()), msg);
        assertThrows(IllegalArgumentException.class, () -> space.decode(new double[] {0.5}));
    }
}
