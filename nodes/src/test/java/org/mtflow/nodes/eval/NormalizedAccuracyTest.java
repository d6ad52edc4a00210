package org.mtflow.nodes.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class NormalizedAccuracyTest {
    @Test
    void eachTaskIsDividedByItsOwnReference() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int k = 1 + rnd.nextInt(8);
        Map<String, Double> acc = new LinkedHashMap<>(), ref = new LinkedHashMap<>();
        for (int t = 0; t < k; t++) {
            acc.put("task" + t, rnd.nextDouble());
            ref.put("task" + t, 0.05 + 0.95 * rnd.nextDouble());
        }
        ref.put("unused", 0.5); // a reference for a task the model was not evaluated on is ignored
        NormalizedAccuracy n = NormalizedAccuracy.of(acc, ref);
        double sum = 0, accSum = 0;
        assertEquals(List.copyOf(acc.keySet()), List.copyOf(n.tasks().keySet()), "seed=" + seed);
        for (String t : acc.keySet()) {
            NormalizedAccuracy.Task got = n.tasks().get(t);
            assertEquals(acc.get(t) / ref.get(t), got.normalized(), 1e-15, "seed=" + seed + " " + t);
            assertEquals(acc.get(t), got.accuracy(), "seed=" + seed);
            assertEquals(ref.get(t), got.referenceAccuracy(), "seed=" + seed);
            sum += acc.get(t) / ref.get(t);
            accSum += acc.get(t);
        }
        assertEquals(sum / k, n.mean(), 1e-14, "seed=" + seed);
        assertEquals(accSum / k, n.meanAccuracy(), 1e-14, "seed=" + seed);
    }

    @Test
    void missingOrZeroReferencesAreErrorsNamingTheTask() {
        var e = assertThrows(IllegalArgumentException.class, () -> NormalizedAccuracy.of(Map.of("a", 0.5), Map.of("b", 0.9)));
        assertTrue(e.getMessage().contains("no reference accuracy for task 'a'; references cover [b]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NormalizedAccuracy.of(Map.of("a", 0.5), Map.of("a", 0.0)));
        assertTrue(e.getMessage().contains("reference accuracy of task 'a' is 0.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NormalizedAccuracy.of(Map.of(), Map.of("a", 0.5)));
        assertTrue(e.getMessage().contains("no task with examples"), e.getMessage());
    }

    @Test
    void accuraciesFromSeveralArtifactsMergeAndADuplicateTaskIsAnError() {
        Metrics a = Metrics.of("d1", "test", List.of(), Map.of("a", task(10, 7)));
        Metrics b = Metrics.of("d2", "test", List.of(), Map.of("b", task(4, 1), "empty", task(0, 0)));
        Map<String, Double> acc = NormalizedAccuracy.accuracies(List.of(a, b), List.of("m[0]", "m[1]"));
        assertEquals(Map.of("a", 0.7, "b", 0.25), acc);
        var e = assertThrows(IllegalArgumentException.class, () -> NormalizedAccuracy.accuracies(List.of(a, a), List.of("m[0]", "m[1]")));
        assertTrue(e.getMessage().contains("task 'a' has an accuracy in both m[0] and m[1]"), e.getMessage());
    }

    private static Metrics.TaskMetrics task(long examples, long correct) {
        return new Metrics.TaskMetrics(examples, correct, examples == 0 ? null : (double) correct / examples, null, null,
                new long[][] {{correct, examples - correct}, {0, 0}});
    }
}
