package org.mtflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.HfModelArtifacts;
import org.mtflow.nodes.data.SyntheticLlama;
import org.mtflow.nodes.merge.MergeMethod;
import org.mtflow.nodes.merge.MergeMethods;
import org.mtflow.nodes.merge.ShardedMerge;

/**
 * Merge throughput on large checkpoints (issue 8): a base and 3 fine-tunes of it, synthetic Llama
 * checkpoints ({@link SyntheticLlama}, TinyLlama shapes, BF16, ~2.2 GB each at 22 layers), cached in
 * {@code --dir} and reused when the same parameters wrote them. Measures
 * <ol>
 *   <li>a straight read of base + models, tensor by tensor, as float32 (GB/s of file bytes);</li>
 *   <li>per method (ties and dare-ties by default; any data-free method, {@code NAME:FLAG} sets a boolean
 *       parameter, e.g. {@code ties:rescale}; density 0.2 where the method takes one, slerp t = 0.5 on the
 *       base and the first model) and backend (JavaOps, and each OpenCL device found):
 *       {@link ShardedMerge#mergeIntoDirectory}: the shards merged one after the other into a sharded
 *       directory, as {@code merge.<method>} with param output does with one subtask per shard (GB/s of
 *       input = base + models bytes, and the ratio to the straight read).</li>
 * </ol>
 * Each phase prints its peak live heap (after collections) and peak RSS (VmHWM), reset per phase.
 *
 * <p>The heap bound: Merger merges tensors above 4M elements in pieces (every data-free method), so a
 * merge holds a few pieces per input, not the 32000 × 2048 embedding (262 MB as float32) per input; run it
 * with {@code JAVA_OPTS=-Xmx1g} to check the 1 GiB target of issue 8.
 *
 * <pre>bench/run.sh MergeBench [--layers N (default 22 = TinyLlama-1.1B)] [--dir DIR (default bench/target/checkpoints)]
 *     [--methods ties,dare-ties] [--density D (default 0.2)] [--device jvm|ID] [--threads T]
 *     [--max-shard-bytes N (default 1000000000)]</pre>
 */
public final class MergeBench {

    record Options(int layers, Path dir, List<String> methods, double density, String device, int threads, long maxShardBytes) {
        static Options parse(String... args) {
            int layers = 22, threads = Runtime.getRuntime().availableProcessors();
            Path dir = Path.of("bench/target/checkpoints");
            List<String> methods = List.of("ties", "dare-ties");
            double density = 0.2;
            String device = null;
            long maxShard = 1_000_000_000L;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--layers" -> layers = Integer.parseInt(args[++i]);
                    case "--dir" -> dir = Path.of(args[++i]);
                    case "--methods" -> methods = List.of(args[++i].split(","));
                    case "--density" -> density = Double.parseDouble(args[++i]);
                    case "--device" -> device = args[++i];
                    case "--threads" -> threads = Integer.parseInt(args[++i]);
                    case "--max-shard-bytes" -> maxShard = Long.parseLong(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; usage: MergeBench [--layers N] [--dir DIR] "
                            + "[--methods ties,dare-ties] [--density D] [--device jvm|ID] [--threads T] [--max-shard-bytes N]");
                }
            }
            if (layers < 1 || threads < 1) throw new IllegalArgumentException("--layers and --threads must be at least 1");
            for (String m : methods) method(m);
            return new Options(layers, dir, methods, density, device, threads, maxShard);
        }
    }

    private static final long BASE_SEED = 7;
    private static final double NOISE = 0.002;

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        SyntheticLlama.Shape shape = new SyntheticLlama.Shape(o.layers(), 2048, 5632, 32000, 32, 4);
        System.out.printf(Locale.ROOT, "# MergeBench: base + 3 fine-tunes (TinyLlama shapes, %d layers, %,d parameters, BF16), density %.2f, "
                + "Merger (pieces of 4M elements), max heap %,d MiB, %d cores, in %s%n", o.layers(), shape.parameters(), o.density(),
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors(), o.dir().toAbsolutePath());
        TensorOps jvm = new JavaOps(o.threads());
        Path base = checkpoint(jvm, shape, o, "base", new SyntheticLlama.Values(BASE_SEED, null, 0));
        List<Path> models = new ArrayList<>();
        for (int m = 0; m < 3; m++) models.add(checkpoint(jvm, shape, o, "model-" + m, new SyntheticLlama.Values(11 + m, BASE_SEED, NOISE)));
        List<Path> inputs = new ArrayList<>(models);
        inputs.add(0, base);
        long bytes = 0;
        for (Path p : inputs) bytes += weightBytes(p);

        CheckpointBench.Peaks.reset();
        long t0 = System.nanoTime();
        double sink = 0;
        for (Path p : inputs) {
            try (HfModel model = HfModelArtifacts.open(p)) {
                for (String name : model.entries().keySet()) sink += model.read(name).data()[0]; // whole tensors, as Merger reads
            }
        }
        double readSeconds = (System.nanoTime() - t0) / 1e9;
        report("straight read base + 3", bytes, readSeconds, readSeconds);

        List<Device> devices = new ArrayList<>();
        for (Device d : Devices.discover(o.device() == null || !o.device().equals("jvm"))) {
            if (o.device() == null || d.id().equals(o.device()) || (o.device().equals("jvm") && devices.isEmpty())) {
                devices.add(d);
            }
        }
        devices.sort(java.util.Comparator.comparing((Device d) -> !d.id().equals("jvm"))); // JavaOps first: the reference figures
        if (Devices.probeOpenCl().problem() != null) System.out.println("# no OpenCL backend: " + Devices.probeOpenCl().problem());
        for (Device d : devices) {
            TensorOps ops;
            try {
                ops = d.ops();
            } catch (RuntimeException | LinkageError e) {
                System.out.printf(Locale.ROOT, "%-28s backend failed to start: %s%n", d.id(), e);
                continue;
            }
            for (String name : o.methods()) {
                MergeMethod method = method(name);
                // slerp interpolates the base and one model; the others merge all three
                List<Path> merged = method.name().equals("slerp") ? models.subList(0, 1) : models;
                long inBytes = weightBytes(base);
                for (Path m : merged) inBytes += weightBytes(m);
                Path out = o.dir().resolve("merged");
                deleteTree(out);
                CheckpointBench.Peaks.reset();
                t0 = System.nanoTime();
                try {
                    ShardedMerge.mergeIntoDirectory(ops, new ShardedMerge.Spec(method, base, merged, parameters(name, method, o.density()), null,
                            1L, null, o.maxShardBytes()), out);
                } catch (OutOfMemoryError e) {
                    System.out.printf(Locale.ROOT, "%-28s out of heap (%s): raise -Xmx%n", name + " on " + d.id(), e.getMessage());
                    continue;
                }
                report(name + " on " + d.id(), inBytes, (System.nanoTime() - t0) / 1e9, readSeconds * inBytes / bytes);
                sink += checkAgainstBase(base, out);
                deleteTree(out);
            }
        }
        if (sink == 42.4242) System.out.println(); // keeps the reads
    }

    /** A method by name, with an optional flag set: {@code ties:rescale}. */
    private static MergeMethod method(String spec) {
        String name = spec.split(":", 2)[0];
        return MergeMethods.named(name).orElseThrow(() -> new IllegalArgumentException("--methods: no merge method '" + name + "'"));
    }

    /** density where the method takes one, t = 0.5 for slerp, and the spec's flag (ties:rescale sets rescale: true). */
    private static Map<String, Object> parameters(String spec, MergeMethod method, double density) {
        Map<String, Object> p = new java.util.LinkedHashMap<>();
        if (method.parameters().contains("density")) p.put("density", density);
        if (method.parameters().contains("t")) p.put("t", 0.5);
        String[] parts = spec.split(":", 2);
        if (parts.length == 2) {
            if (!method.parameters().contains(parts[1])) throw new IllegalArgumentException("--methods: " + parts[0] + " has no parameter '" + parts[1] + "'");
            p.put(parts[1], true);
        }
        return p;
    }

    /** A sanity check, not a correctness test (MergeNodeTest checks every element): the merge moved off the base by about the task vectors' size. */
    private static double checkAgainstBase(Path base, Path merged) throws IOException {
        String name = "model.layers.0.self_attn.k_proj.weight";
        try (HfModel b = HfModelArtifacts.open(base); HfModel m = HfModel.open(merged)) {
            float[] x = b.read(name).data(), y = m.read(name).data();
            double sq = 0;
            for (int i = 0; i < x.length; i++) sq += (double) (y[i] - x[i]) * (y[i] - x[i]);
            double rms = Math.sqrt(sq / x.length);
            if (!(rms > 0 && rms < 100 * NOISE)) throw new IllegalStateException("merged " + name + " is " + rms + " (rms) off the base; expected a small nonzero move");
            return rms;
        }
    }

    /** The checkpoint in dir/NAME, written unless a previous run wrote it with the same parameters (recorded in params.txt). */
    private static Path checkpoint(TensorOps ops, SyntheticLlama.Shape shape, Options o, String name, SyntheticLlama.Values v) throws IOException {
        Path dir = o.dir().resolve(name);
        String params = shape + " BF16 " + v + " shards " + o.maxShardBytes();
        Path stamp = dir.resolve("params.txt"), manifest = o.dir().resolve(name + ".manifest.json");
        if (Files.exists(stamp) && Files.readString(stamp).equals(params) && Files.exists(manifest)) return manifest;
        deleteTree(dir);
        long t0 = System.nanoTime();
        Map<String, String> crc32c = SyntheticLlama.write(ops, shape, Dtype.BF16, v, o.maxShardBytes(), dir, f -> { });
        Files.write(manifest, manifest(dir, crc32c));
        Files.writeString(stamp, params);
        System.out.printf(Locale.ROOT, "# wrote %s: %,d bytes in %.1f s%n", dir, weightBytes(manifest), (System.nanoTime() - t0) / 1e9);
        return manifest;
    }

    /** The manifest a model.hf / data.synthetic-checkpoint node outputs (format of HfModelArtifacts), so Merger opens the directory as the node does. */
    private static byte[] manifest(Path dir, Map<String, String> crc32c) throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var m = json.createObjectNode();
        m.put("format", HfModelArtifacts.FORMAT);
        m.put("directory", dir.toAbsolutePath().normalize().toString());
        var files = m.putObject("files");
        for (var e : crc32c.entrySet()) files.putObject(e.getKey()).put("bytes", Files.size(dir.resolve(e.getKey()))).put("crc32c", e.getValue());
        return json.writeValueAsBytes(m);
    }

    private static long weightBytes(Path manifest) throws IOException {
        try (HfModel m = HfModelArtifacts.open(manifest)) {
            long n = 0;
            for (Path f : m.weightFiles()) n += Files.size(f);
            return n;
        }
    }

    private static void report(String what, long bytes, double seconds, double readSeconds) throws IOException {
        System.out.printf(Locale.ROOT, "%-28s %,15d bytes %7.2f s %6.3f GB/s  %5.2f x read  peak heap %s  peak RSS %s%n",
                what, bytes, seconds, bytes / seconds / 1e9, readSeconds / seconds, CheckpointBench.Peaks.heap(), CheckpointBench.Peaks.rss());
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
