package org.mtflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.mtflow.engine.cluster.ArtifactFetcher;
import org.mtflow.engine.cluster.ArtifactServer;
import org.mtflow.engine.store.ArtifactRef;
import org.mtflow.engine.spec.Sizes;
import org.mtflow.engine.store.ArtifactStore;

/**
 * Issue 5's artifact transfer figure: one node's {@link ArtifactServer} streams an artifact to
 * another node's {@link ArtifactFetcher} on loopback, which hashes it as it arrives, writes it to a
 * temp file, fsyncs and publishes it. Each rep fetches into a fresh store; GB/s = artifact bytes /
 * wall time of the fetch. Plain HTTP only: the loopback cluster runs without TLS.
 *
 * <pre>bench/run.sh ArtifactTransferBench [--size 1GiB] [--reps 3] [--dir DIR]</pre>
 */
public final class ArtifactTransferBench {
    private ArtifactTransferBench() {}

    public static void main(String[] args) throws Exception {
        long size = 1L << 30;
        int reps = 3;
        Path dir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = Sizes.parse(args[++i]).orElseThrow(() -> new IllegalArgumentException("--size: e.g. 1GiB, 512MiB"));
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: ArtifactTransferBench [--size 1GiB] [--reps 3] [--dir DIR]");
            }
        }
        Path root = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("mtflow-transfer");
        ArtifactStore source = new ArtifactStore(root.resolve("source"));
        long n = size;
        byte[] block = new byte[1 << 20];
        SplittableRandom rng = new SplittableRandom(42);
        ArtifactRef ref = source.write(out -> {
            for (long left = n; left > 0; left -= block.length) {
                for (int i = 0; i < block.length; i += 8) {
                    long v = rng.nextLong();
                    for (int b = 0; b < 8; b++) block[i + b] = (byte) (v >>> (8 * b));
                }
                out.write(block, 0, (int) Math.min(left, block.length));
            }
        });
        System.out.printf(Locale.ROOT, "# ArtifactTransferBench: %s bytes over HTTP on loopback, %d reps; fetch = stream + SHA-256 + "
                + "temp file + fsync + rename%n", ref.size(), reps);
        double[] gbs = new double[reps];
        try (ArtifactServer server = ArtifactServer.start(source, "127.0.0.1", 0, null)) {
            for (int r = 0; r < reps; r++) {
                ArtifactStore target = new ArtifactStore(root.resolve("target-" + r));
                long t0 = System.nanoTime();
                Path got = new ArtifactFetcher(target, null).fetch(server.base(), ref);
                double s = (System.nanoTime() - t0) / 1e9;
                if (Files.size(got) != ref.size()) throw new IllegalStateException("fetched " + Files.size(got) + " bytes");
                gbs[r] = ref.size() / s / 1e9;
                System.out.printf(Locale.ROOT, "rep %d: %.2f s, %.2f GB/s%n", r + 1, s, gbs[r]);
                Files.delete(got);
            }
        }
        Arrays.sort(gbs);
        System.out.printf(Locale.ROOT, "artifact transfer: best %.2f GB/s, median %.2f GB/s%n", gbs[reps - 1], gbs[reps / 2]);
        if (dir == null) deleteTree(root);
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
