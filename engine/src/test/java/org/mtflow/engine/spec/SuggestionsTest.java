package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SuggestionsTest {
    private static final List<String> TYPES = List.of("util.sum", "util.noop", "merge.ties", "merge.linear");

    @Test
    void distanceCountsASwapAsOneEdit() {
        assertEquals(0, Suggestions.distance("abc", "abc"));
        assertEquals(1, Suggestions.distance("abc", "acb"));
        assertEquals(1, Suggestions.distance("abc", "abcd"));
        assertEquals(1, Suggestions.distance("abc", "xbc"));
        assertEquals(3, Suggestions.distance("", "abc"));
        assertEquals(3, Suggestions.distance("kitten", "sitting"));
    }

    @Test
    void suggestsTheClosestNameForATypo() {
        assertEquals(Optional.of("merge.ties"), Suggestions.closest("merge.tise", TYPES));
        assertEquals(Optional.of("util.noop"), Suggestions.closest("util.nop", TYPES));
        assertEquals(Optional.of("util.sum"), Suggestions.closest("UTIL.SUM", TYPES));
        assertEquals("did you mean 'merge.linear'?", Suggestions.didYouMean("merge.lienar", TYPES));
    }

    @Test
    void aDifferentWordIsNotATypo() {
        assertTrue(Suggestions.closest("train.sgd", TYPES).isEmpty());
        assertEquals("expected one of: util.sum, util.noop, merge.ties, merge.linear",
                Suggestions.didYouMean("train.sgd", TYPES));
    }

    @Test
    void nothingToSuggestFromNoCandidates() {
        assertTrue(Suggestions.closest("x", List.of()).isEmpty());
        assertNull(Suggestions.didYouMean("x", List.of()));
    }
}
