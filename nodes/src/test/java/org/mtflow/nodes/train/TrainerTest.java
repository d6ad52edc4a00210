package org.mtflow.nodes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.data.Dataset;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;
import org.mtflow.nodes.model.Optimizer;

class TrainerTest {
    static final JavaOps OPS = new JavaOps(2);

    @AfterAll static void close() { OPS.close(); }

    @TempDir Path dir;

    /** Points in [-1, 1]^features labelled by the largest of {@code classes} random linear scores: learnable, not trivial. */
    static Dataset.Split linearlyLabelled(SplittableRandom rnd, double[][] w, int n) {
        int features = w[0].length;
        float[] x = new float[n * features];
        float[] y = new float[n];
        for (int r = 0; r < n; r++) {
            for (int f = 0; f < features; f++) x[r * features + f] = (float) (rnd.nextDouble() * 2 - 1);
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < w.length; c++) {
                double s = 0;
                for (int f = 0; f < features; f++) s += w[c][f] * x[r * features + f];
                if (s > bestScore) { bestScore = s; best = c; }
            }
            y[r] = best;
        }
        return new Dataset.Split(Tensor.of(x, n, features), Tensor.of(y, n));
    }

    static Dataset dataset(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] w = new double[3][10];
        for (double[] row : w) for (int f = 0; f < row.length; f++) row[f] = rnd.nextDouble() * 2 - 1;
        return new Dataset("synthetic", List.of("a", "b", "c"), linearlyLabelled(rnd, w, 600), linearlyLabelled(rnd, w, 300));
    }

    static Mlp start(long seed) {
        return Mlp.init(new MlpSpec(10, List.of(16, 12), Activation.GELU, Map.of("synthetic", 3)), OPS, seed, 5);
    }

    static TrainSettings settings(Optimizer.Kind kind, int epochs) {
        float lr = kind == Optimizer.Kind.SGD ? 0.1f : 0.01f;
        return new TrainSettings(kind, lr, 0.9f, 1e-4f, 32, epochs, Schedule.COSINE, 1, 1, 0.1, 0);
    }

    static void assertSameBits(Mlp a, Mlp b, String msg) {
        assertEquals(a.parameters().keySet(), b.parameters().keySet());
        a.parameters().forEach((k, t) -> {
            float[] u = t.data(), v = b.parameters().get(k).data();
            for (int i = 0; i < u.length; i++) {
                assertEquals(Float.floatToRawIntBits(u[i]), Float.floatToRawIntBits(v[i]), msg + ": " + k + "[" + i + "]");
            }
        });
    }

    /** A run killed after epoch 2 and started again ends with the weights of one that never stopped. */
    @ParameterizedTest
    @EnumSource(Optimizer.Kind.class)
    void aResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne(Optimizer.Kind kind) throws Exception {
        long seed = TestSeeds.next();
        Dataset data = dataset(seed);
        TrainSettings s = settings(kind, 5);
        Trainer.Result whole = new Trainer(OPS, s, seed).fit(start(seed), "synthetic", data.train(), dir.resolve("whole"), null);
        assertEquals(5, whole.epochsRun());
        assertEquals(0, whole.resumedAt());

        Path killed = dir.resolve("killed");
        class Killed extends RuntimeException {}
        assertThrows(Killed.class, () -> new Trainer(OPS, s, seed).fit(start(seed), "synthetic", data.train(), killed, e -> {
            if (e.epoch() == 2) throw new Killed();
        }));
        Trainer.Result resumed = new Trainer(OPS, s, seed).fit(start(seed), "synthetic", data.train(), killed, null);
        assertEquals(2, resumed.resumedAt(), "seed " + seed);
        assertEquals(5, resumed.epochsRun());
        assertEquals(3L * 540, resumed.samples(), "three epochs of the 540 training rows left after the validation tenth");
        assertSameBits(whole.model(), resumed.model(), kind.token() + ", seed " + seed);
        assertEquals(whole.trainLoss(), resumed.trainLoss());

        Trainer.Result fresh = new Trainer(OPS, s, seed).fit(start(seed), "synthetic", data.train(), null, null);
        assertSameBits(whole.model(), fresh.model(), "without checkpoints, seed " + seed);
    }

    @Test
    void aCheckpointOfOtherSettingsIsNotResumed() throws Exception {
        long seed = TestSeeds.next();
        Dataset data = dataset(seed);
        new Trainer(OPS, settings(Optimizer.Kind.SGD, 2), seed).fit(start(seed), "synthetic", data.train(), dir, null);
        Trainer.Result other = new Trainer(OPS, settings(Optimizer.Kind.ADAMW, 2), seed).fit(start(seed), "synthetic", data.train(), dir, null);
        assertEquals(0, other.resumedAt(), "seed " + seed);
        Trainer.Result same = new Trainer(OPS, settings(Optimizer.Kind.ADAMW, 2), seed).fit(start(seed), "synthetic", data.train(), dir, null);
        assertEquals(2, same.resumedAt(), "seed " + seed);
        assertEquals(0, same.samples(), "nothing left to train");
    }

    @ParameterizedTest
    @EnumSource(Optimizer.Kind.class)
    void itLearnsALinearlyLabelledProblem(Optimizer.Kind kind) throws Exception {
        long seed = TestSeeds.next();
        Dataset data = dataset(seed);
        Mlp init = start(seed);
        double before = Trainer.accuracy(OPS, init, "synthetic", data.test());
        Trainer.Result r = new Trainer(OPS, settings(kind, 20), seed).fit(init, "synthetic", data.train(), null, null);
        double after = Trainer.accuracy(OPS, r.model(), "synthetic", data.test());
        assertTrue(after >= 0.85 && after > before, kind.token() + ": accuracy " + before + " → " + after + ", seed " + seed);
    }

    @Test
    void earlyStoppingStopsWhenTheValidationLossStopsImproving() throws Exception {
        long seed = TestSeeds.next();
        Dataset data = dataset(seed);
        // a rate far too high: the validation loss blows up (or turns NaN) after the first epochs
        TrainSettings wild = new TrainSettings(Optimizer.Kind.SGD, 50f, 0.9f, 0f, 32, 30, Schedule.CONSTANT, 0, 1, 0.2, 2);
        Trainer.Result r = new Trainer(OPS, wild, seed).fit(start(seed), "synthetic", data.train(), null, null);
        assertTrue(r.stoppedEarly() && r.epochsRun() < 30, r + ", seed " + seed);
    }

    @Test
    void scheduleRates() {
        // warmup ramps linearly to the base over 2 epochs of 4 steps
        assertEquals(0.25f, Schedule.CONSTANT.rate(2f, 0, 4, 10, 2, 1));
        assertEquals(2f, Schedule.CONSTANT.rate(2f, 7, 4, 10, 2, 1));
        assertEquals(2f, Schedule.CONSTANT.rate(2f, 39, 4, 10, 2, 1));
        // step: x0.1 every 3 epochs after the warmup
        assertEquals(2f, Schedule.STEP.rate(2f, 8 + 11, 4, 10, 2, 3));
        assertEquals((float) (2 * 0.1), Schedule.STEP.rate(2f, 8 + 12, 4, 10, 2, 3));
        // cosine: base right after the warmup, half at the middle of the rest
        assertEquals(2f, Schedule.COSINE.rate(2f, 8, 4, 10, 2, 1));
        assertEquals(1f, Schedule.COSINE.rate(2f, 8 + 16, 4, 10, 2, 1), 1e-6f);
    }
}
