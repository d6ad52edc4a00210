package org.mtflow.kernels.jvm;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs numbered blocks of work on a team of threads: the caller and {@code threads − 1} workers
 * take block numbers from a shared counter. Callers cut their work into blocks whose boundaries
 * depend only on the problem size, never on the thread count, and write each block's result to its
 * own slot; so a result is the same on any number of threads.
 *
 * <p>Why not a fork-join pool: waking a parked pool worker took ~65 µs here (a VM, 2 cores), and a
 * training step makes dozens of parallel calls, each of ~100 µs–1 ms of work. Workers here spin for
 * {@link #SPIN_NANOS} after each job before they park, so back-to-back calls find them awake (what
 * OpenBLAS and OpenMP runtimes do); a call costs a few µs.
 *
 * <p>One job at a time: a call made while the team is busy (another thread's job, or a nested call
 * from inside a block) runs inline on its caller, with the same bits.
 */
final class Parallel {
    /** Elements per block of elementwise and reduction work: the unit of float accumulation. */
    static final int BLOCK = 1 << 14;
    /**
     * Below this many elements of streaming work, forking costs more than it saves: 4 blocks. With a
     * fork-join pool it had to be 2^19 (ops on 33k–400k elements ran 1.4–2.7× slower forked); with
     * the spinning team, 2^16 took TrainBench's JVM step from 39.1k to 41.2k samples/s.
     */
    static final int MIN_PARALLEL_ELEMENTS = 1 << 16;
    /** How long an idle worker spins for the next job before it parks. */
    static final long SPIN_NANOS = 1_000_000;
    /** How long a parked worker waits for a job before its thread ends. */
    static final long IDLE_EXIT_NANOS = 30_000_000_000L;

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    /** The job workers run; replaced (a new object) for every call, so a worker never runs one twice. */
    private volatile Job job;
    private volatile boolean closed;
    private final long idleExitNanos;

    Parallel(int threads) {
        this(threads, IDLE_EXIT_NANOS);
    }

    /** With the idle time after which a parked worker's thread ends (tests shorten it). */
    Parallel(int threads, long idleExitNanos) {
        this.idleExitNanos = idleExitNanos;
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) workers[i] = new Worker("mtflow-kernels-" + (i + 1));
    }

    int threads() { return threads; }

    static int blocks(int n) { return (n + BLOCK - 1) / BLOCK; }

    /**
     * Runs {@code body} for blocks 0..count-1: on the team when {@code worthForking} (the caller's
     * judgement that the work is big enough), inline otherwise.
     */
    void forEach(int count, boolean worthForking, IntConsumer body) {
        if (count <= 1 || workers.length == 0 || !worthForking || closed || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        try {
            for (Worker w : workers) {
                if (!w.alive) w.start(); // not started yet, or left after IDLE_EXIT_NANOS
            }
            Job j = new Job(count, body);
            job = j;
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w.thread);
            }
            j.work();
            j.awaitDone();
            j.body = null; // workers keep the last job: let its arrays go
            Throwable t = j.failure.get();
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        } finally {
            busy.set(false);
        }
    }

    /** {@link #forEach} over the {@link #BLOCK}-sized blocks of n streaming elements. */
    void forEachBlock(int n, IntConsumer body) {
        forEach(blocks(n), n >= MIN_PARALLEL_ELEMENTS, body);
    }

    void close() {
        closed = true;
        for (Worker w : workers) {
            Thread t = w.thread;
            if (t != null) LockSupport.unpark(t);
        }
    }

    /** One call's blocks: taken by number, counted when finished. */
    private static final class Job {
        final int count;
        IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int count, IntConsumer body) {
            this.count = count;
            this.body = body;
        }

        void work() {
            int i;
            while ((i = next.getAndIncrement()) < count) {
                try {
                    if (failure.get() == null) body.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        void awaitDone() {
            while (done.get() < count) Thread.onSpinWait();
        }
    }

    /**
     * A worker thread: runs each new job's blocks, spins for the next, then parks; after {@link
     * #IDLE_EXIT_NANOS} parked it exits (an unclosed JavaOps leaves no thread behind) and the next
     * call starts a new one.
     */
    private final class Worker implements Runnable {
        private final String name;
        volatile Thread thread;
        volatile boolean parked;
        volatile boolean alive;

        Worker(String name) {
            this.name = name;
        }

        /** The job published when this thread was started: not its to run. */
        private Job before;

        /** Called by the one caller that holds {@link #busy}, before it publishes its job. */
        void start() {
            alive = true;
            before = job;
            Thread t = new Thread(this, name);
            t.setDaemon(true); // a forgotten close() must not keep the JVM alive
            thread = t;
            t.start();
        }

        @Override
        public void run() {
            Job last = before; // not `job`: the thread may first run after the next job is published
            while (!closed) {
                Job j = job;
                if (j != last) {
                    last = j;
                    j.work();
                    continue;
                }
                long idleSince = System.nanoTime();
                while (job == last && !closed && System.nanoTime() - idleSince < SPIN_NANOS) Thread.onSpinWait();
                if (job != last || closed) continue;
                parked = true;
                // Re-check after announcing: a job published before `parked` was seen gets no unpark.
                long parkedSince = System.nanoTime();
                while (job == last && !closed && System.nanoTime() - parkedSince < idleExitNanos) {
                    LockSupport.parkNanos(this, idleExitNanos);
                }
                parked = false;
                if (job == last && !closed) break; // idle too long
            }
            alive = false;
        }
    }
}
