package org.mtflow.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.data.SyntheticLlama;

/**
 * The large-checkpoint path, measured: writes 3 synthetic Llama checkpoints that share a base (the
 * fine-tunes of a merging study, {@link SyntheticLlama}), then
 * <ol>
 *   <li>a straight read of all three, tensor by tensor (GB/s of file bytes, warm page cache: the files
 *       were just written);</li>
 *   <li>a streaming merge pass: for every tensor, the same piece of it from each model, combined on
 *       TensorOps ({@link Combine}; here the mean), written by {@link StreamingSafetensorsWriter}
 *       (GB/s of input bytes).</li>
 * </ol>
 * Each phase reports its time, peak heap (the heap pools' peak usage, reset before the phase) and peak
 * RSS (VmHWM of /proc/self/status, reset through /proc/self/clear_refs where allowed). Run it with
 * {@code JAVA_OPTS=-Xmx1g} to show the heap bound.
 *
 * <p>Measured here (2 cores shared with other builds, load ~5; -Xmx1g, --layers 22 = 3 × 2.2 GB BF16):
 * write 0.15 GB/s; straight read 1.50 GB/s, 6 MiB live heap; stream-mean-write with 2 workers 0.62 GB/s
 * of input (0.42 of the straight read; 1 worker: 0.37), 532 MiB peak live heap, 1.76 GiB peak RSS
 * (the heap plus mapped file pages). With {@code --piece 0} (whole tensors, as {@code MergeMethod}
 * takes them) the 32000 × 2048 embedding is 262 MB as float32 per model and the pass runs out of a
 * 1 GiB heap: a merge of such checkpoints under the bound has to work on pieces of large tensors.
 *
 * <pre>bench/run.sh CheckpointBench [--layers N (default 4; 22 = TinyLlama-1.1B, 2.2 GB as BF16)]
 *     [--dtype BF16|F16|F32] [--piece ELEMENTS (default 16777216; 0 = whole tensors)]
 *     [--max-shard-bytes N (default 1000000000)] [--threads T (kernel threads)]
 *     [--workers W (tensors merged at once, default 2)] [--dir DIR] [--keep]</pre>
 */
public final class CheckpointBench {

    /** One piece of one tensor from each model → the merged piece: where a merge method plugs in. */
    @FunctionalInterface
    public interface Combine {
        Tensor apply(TensorOps ops, String tensor, long from, List<Tensor> pieces);
    }

    /** The mean of the models' pieces, on the kernels. */
    static final Combine MEAN = (ops, name, from, pieces) -> {
        Tensor out = Tensor.zerosLike(pieces.get(0));
        for (Tensor p : pieces) ops.add(out, p, out);
        ops.scale(out, 1f / pieces.size(), out);
        return out;
    };

    record Options(int layers, Dtype dtype, int piece, long maxShardBytes, int threads, int workers, Path dir, boolean keep) {
        static Options parse(String... args) {
            int layers = 4, piece = 1 << 24, threads = Runtime.getRuntime().availableProcessors(), workers = 2;
            long maxShard = 1_000_000_000L;
            Dtype dtype = Dtype.BF16;
            Path dir = null;
            boolean keep = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--layers" -> layers = Integer.parseInt(args[++i]);
                    case "--dtype" -> dtype = Dtype.valueOf(args[++i].toUpperCase(Locale.ROOT));
                    case "--piece" -> piece = Integer.parseInt(args[++i]);
                    case "--max-shard-bytes" -> maxShard = Long.parseLong(args[++i]);
                    case "--threads" -> threads = Integer.parseInt(args[++i]);
                    case "--workers" -> workers = Integer.parseInt(args[++i]);
                    case "--dir" -> dir = Path.of(args[++i]);
                    case "--keep" -> keep = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; usage: CheckpointBench [--layers N] "
                            + "[--dtype BF16|F16|F32] [--piece ELEMENTS|0] [--max-shard-bytes N] [--threads T] [--workers W] [--dir DIR] [--keep]");
                }
            }
            if (piece < 0) throw new IllegalArgumentException("--piece must be >= 0 (0: whole tensors)");
            if (workers < 1 || threads < 1) throw new IllegalArgumentException("--workers and --threads must be at least 1");
            return new Options(layers, dtype, piece, maxShard, threads, workers, dir, keep);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        SyntheticLlama.Shape shape = new SyntheticLlama.Shape(o.layers(), 2048, 5632, 32000, 32, 4);
        TensorOps ops = new JavaOps(o.threads());
        Path root = o.dir() != null ? Files.createDirectories(o.dir()) : Files.createTempDirectory("mtflow-ckpt-bench");
        long maxHeap = Runtime.getRuntime().maxMemory();
        System.out.printf(Locale.ROOT, "# CheckpointBench: 3 Llama checkpoints (TinyLlama shapes, %d layers, %,d parameters, %s), "
                + "piece %s, shards <= %,d bytes, jvm ops %d threads, %d merge workers, max heap %s, in %s%n",
                o.layers(), shape.parameters(), o.dtype(), o.piece() == 0 ? "whole tensors" : String.format(Locale.ROOT, "%,d elements", o.piece()),
                o.maxShardBytes(), o.threads(), o.workers(), mib(maxHeap), root);
        try {
            List<Path> models = new ArrayList<>();
            Peaks.reset();
            long t0 = System.nanoTime();
            for (int m = 0; m < 3; m++) {
                Path dir = root.resolve("model-" + m);
                SyntheticLlama.write(ops, shape, o.dtype(), new SyntheticLlama.Values(11 + m, 1L, 0.002), o.maxShardBytes(), dir, f -> { });
                models.add(dir);
            }
            long bytes = 0;
            for (Path m : models) bytes += weightBytes(m);
            report("write 3 synthetic checkpoints", bytes, System.nanoTime() - t0);

            Peaks.reset();
            t0 = System.nanoTime();
            double sink = 0;
            for (Path m : models) {
                try (HfModel model = HfModel.open(m)) {
                    for (String name : model.entries().keySet()) {
                        long n = model.entry(name).elements();
                        int step = step(o, n);
                        for (long from = 0; from < n; from += step) {
                            Tensor t = model.readRange(name, from, (int) Math.min(step, n - from));
                            sink += t.data()[0];
                        }
                    }
                }
            }
            report("straight read of the 3", bytes, System.nanoTime() - t0);

            Path out = root.resolve("merged");
            Peaks.reset();
            t0 = System.nanoTime();
            merge(ops, models, out, o, MEAN);
            report("stream 3 -> mean -> write", bytes, System.nanoTime() - t0);
            sink += check(models, out);
            if (sink == 42.4242) System.out.println(); // keeps the reads
        } finally {
            if (!o.keep()) deleteTree(root);
        }
    }

    /** Reads the same piece of each tensor from every model, combines it, writes it: memory = a few pieces. */
    static void merge(TensorOps ops, List<Path> models, Path out, Options o, Combine combine) throws IOException {
        List<HfModel> open = new ArrayList<>();
        try {
            for (Path m : models) open.add(HfModel.open(m));
            HfModel first = open.get(0);
            StreamingSafetensorsWriter.Builder b = StreamingSafetensorsWriter.to(out).maxShardBytes(o.maxShardBytes());
            for (Safetensors.Entry e : first.entries().values()) b.declare(e.name(), e.dtype(), e.shape());
            Files.createDirectories(out);
            Files.copy(first.configFile(), out.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try (StreamingSafetensorsWriter w = b.open()) {
                // Tensors go to o.workers() threads, each holding one piece per model and its result: the
                // writer takes tensors in any order, and the output bytes do not depend on it.
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(o.workers());
                try {
                    List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                    for (String name : w.pending()) {
                        done.add(pool.submit(() -> {
                            long n = w.spec(name).elements();
                            int step = step(o, n);
                            for (long from = 0; from < n; from += step) {
                                int len = (int) Math.min(step, n - from);
                                List<Tensor> pieces = new ArrayList<>();
                                for (HfModel m : open) pieces.add(m.readRange(name, from, len));
                                w.write(name, from, combine.apply(ops, name, from, pieces));
                            }
                            return null;
                        }));
                    }
                    for (var f : done) f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IOException("merging failed: " + e.getCause(), e.getCause());
                } finally {
                    pool.shutdownNow();
                }
                w.finish();
            }
        } finally {
            for (HfModel m : open) m.close();
        }
    }

    private static int step(Options o, long elements) {
        return (int) (o.piece() == 0 ? elements : Math.min(o.piece(), elements));
    }

    /** Two merged tensors (small: the check must fit the heap bound too) against the mean computed here in double from whole tensors. */
    private static double check(List<Path> models, Path out) throws IOException {
        try (HfModel merged = HfModel.open(out)) {
            
            for (String name : List.of("model.norm.weight", "model.layers.0.self_attn.k_proj.weight")) {
                Tensor got = merged.read(name);
                double[] sum = new double[got.size()];
                for (Path m : models) {
                    try (HfModel model = HfModel.open(m)) {
                        float[] d = model.read(name).data();
                        for (int i = 0; i < d.length; i++) sum[i] += d[i];
                    }
                }
                for (int i = 0; i < sum.length; i++) {
                    float want = (float) (sum[i] / models.size());
                    float tol = Math.ulp(want) * 4 + Math.abs(want) * 0x1p-7f; // BF16 rounding of the result
                    if (!(Math.abs(got.data()[i] - want) <= tol)) {
                        throw new IllegalStateException("merged " + name + "[" + i + "] = " + got.data()[i] + ", the mean is " + want);
                    }
                }
            }
            System.out.println("  merged output checked against a float64 mean (2 tensors, every element)");
            return 0;
        }
    }

    private static long weightBytes(Path dir) throws IOException {
        try (HfModel m = HfModel.open(dir)) {
            long n = 0;
            for (Path f : m.weightFiles()) n += Files.size(f);
            return n;
        }
    }

    private static void report(String what, long bytes, long nanos) throws IOException {
        double s = nanos / 1e9;
        System.out.printf(Locale.ROOT, "%-30s %,15d bytes %7.2f s %6.3f GB/s  peak heap %s  peak RSS %s%n",
                what, bytes, s, bytes / s / 1e9, Peaks.heap(), Peaks.rss());
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,d MiB", bytes >> 20);
    }

    /**
     * Peak heap and peak RSS (VmHWM), both reset per phase. The heap figure is the most heap found in use
     * right after a collection (what was live), from the collectors' notifications; the heap pools' raw
     * peaks (which count garbage not yet collected, up to the bound) are shown beside it.
     */
    static final class Peaks {
        private static boolean rssReset = true;
        private static final java.util.concurrent.atomic.AtomicLong LIVE = new java.util.concurrent.atomic.AtomicLong();

        static {
            for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (!(gc instanceof javax.management.NotificationEmitter emitter)) continue;
                emitter.addNotificationListener((n, handback) -> {
                    if (!n.getType().equals(com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) return;
                    var info = com.sun.management.GarbageCollectionNotificationInfo.from((javax.management.openmbean.CompositeData) n.getUserData());
                    long used = 0;
                    for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                        if (isHeap(e.getKey())) used += e.getValue().getUsed();
                    }
                    LIVE.accumulateAndGet(used, Math::max);
                }, null, null);
            }
        }

        private static boolean isHeap(String pool) {
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getName().equals(pool)) return p.getType() == MemoryType.HEAP;
            }
            return false;
        }

        static void reset() {
            System.gc();
            LIVE.set(0);
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
            }
            try {
                Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // resets VmHWM (Linux >= 4.0)
            } catch (IOException | RuntimeException e) {
                rssReset = false;
            }
        }

        static String heap() {
            System.gc(); // the live heap at the phase's end counts too
            long raw = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) raw += p.getPeakUsage().getUsed();
            }
            return mib(LIVE.get()) + " live (pools' peaks " + mib(raw) + ")";
        }

        static String rss() throws IOException {
            Path status = Path.of("/proc/self/status");
            if (!Files.exists(status)) return "n/a";
            String hwm = "n/a";
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) hwm = String.format(Locale.ROOT, "%,d MiB", Long.parseLong(line.replaceAll("\\D", "")) >> 10);
            }
            return hwm + (rssReset ? "" : " (since start: clear_refs refused)");
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
