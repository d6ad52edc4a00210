package org.mtflow.kernels.jvm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The team of threads behind JavaOps: every block once, failures and nesting, callers on many threads. */
class ParallelTest {
    private static final long SEED = Long.getLong("mtflow.test.seed", System.nanoTime());

    @Test
    void everyBlockRunsExactlyOnceOnEveryTeamSize() {
        SplittableRandom rng = new SplittableRandom(SEED);
        for (int threads = 1; threads <= 4; threads++) {
            Parallel par = new Parallel(threads);
            try {
                for (int call = 0; call < 200; call++) {
                    int count = rng.nextInt(1, 300);
                    AtomicIntegerArray runs = new AtomicIntegerArray(count);
                    Set<Thread> who = ConcurrentHashMap.newKeySet();
                    par.forEach(count, true, i -> {
                        runs.incrementAndGet(i);
                        who.add(Thread.currentThread());
                    });
                    for (int i = 0; i < count; i++) assertEquals(1, runs.get(i), "seed=" + SEED + " threads=" + threads + " block " + i + " of " + count);
                    assertTrue(who.size() <= threads, "seed=" + SEED + ": " + who);
                }
            } finally {
                par.close();
            }
        }
    }

    @Test
    void anIdleWorkerEndsItsThreadAndTheNextCallStartsAnother() {
        Parallel par = new Parallel(2, 20_000_000L);
        try {
            for (int r = 0; r < 3; r++) {
                int round = r;
                Set<Thread> workers = ConcurrentHashMap.newKeySet();
                // Blocks wait for each other in pairs, so the call needs the worker's thread to finish.
                java.util.concurrent.CyclicBarrier pair = new java.util.concurrent.CyclicBarrier(2);
                par.forEach(2, true, i -> {
                    if (Thread.currentThread().getName().startsWith("mtflow-kernels-")) workers.add(Thread.currentThread());
                    try {
                        pair.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("round " + round + ": the worker did not take a block", e);
                    }
                });
                assertEquals(1, workers.size(), "round " + round + ": one worker thread ran a block");
                Thread worker = workers.iterator().next();
                await().atMost(Duration.ofSeconds(10)).until(() -> !worker.isAlive());
            }
        } finally {
            par.close();
        }
    }

    @Test
    void aFailingBlockFailsTheCallAndTheTeamGoesOn() {
        Parallel par = new Parallel(2);
        try {
            IllegalStateException boom = new IllegalStateException("block 7");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> par.forEach(64, true, i -> {
                if (i == 7) throw boom;
            }));
            assertSame(boom, thrown);
            AtomicIntegerArray runs = new AtomicIntegerArray(64);
            par.forEach(64, true, runs::incrementAndGet);
            for (int i = 0; i < 64; i++) assertEquals(1, runs.get(i), "block " + i + " after a failed call");
        } finally {
            par.close();
        }
    }

    @Test
    void nestedAndConcurrentCallsRunEveryBlock() throws Exception {
        Parallel par = new Parallel(2);
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            // A block that calls the team again runs that call inline.
            AtomicIntegerArray inner = new AtomicIntegerArray(16 * 16);
            par.forEach(16, true, i -> par.forEach(16, true, j -> inner.incrementAndGet(i * 16 + j)));
            for (int i = 0; i < inner.length(); i++) assertEquals(1, inner.get(i), "nested block " + i);
            // Callers on other threads while the team is busy run inline: the same sums.
            List<Future<long[]>> sums = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                int salt = c;
                sums.add(callers.submit(() -> {
                    long[] out = new long[500];
                    for (int rep = 0; rep < 50; rep++) par.forEach(out.length, true, i -> out[i] += (long) i * salt);
                    return out;
                }));
            }
            for (int c = 0; c < sums.size(); c++) {
                long[] out = sums.get(c).get();
                for (int i = 0; i < out.length; i++) assertEquals(50L * i * c, out[i], "caller " + c + " block " + i);
            }
        } finally {
            callers.shutdownNow();
            par.close();
        }
    }
}
