package org.mtflow.nodes.merge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.kernels.jvm.JavaOps;

/**
 * The child JVM of {@link MergeHeapBoundTest}, started with a small heap: merges DIR/base.safetensors
 * and DIR/m0..m2.safetensors with each method named, as {@code merge.<method>} with {@code output}
 * does ({@link ShardedMerge#mergeIntoDirectory}), printing {@code merged NAME} after each; with
 * {@code --whole}, the first method with whole tensors instead (no pieces), which is expected to run
 * out of heap. A method spec {@code NAME:FLAG} sets a boolean parameter. Exits 3 on OutOfMemoryError.
 */
public final class HeapBoundMerges {
    private HeapBoundMerges() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean whole = args[1].equals("--whole");
        Path base = dir.resolve("base.safetensors");
        List<Path> all = List.of(dir.resolve("m0.safetensors"), dir.resolve("m1.safetensors"), dir.resolve("m2.safetensors"));
        try (JavaOps ops = new JavaOps(2)) {
            for (int a = whole ? 2 : 1; a < args.length; a++) {
                String[] spec = args[a].split(":", 2);
                MergeMethod method = MergeMethods.named(spec[0]).orElseThrow();
                List<Path> models = method.name().equals("slerp") ? all.subList(0, 1) : all;
                Map<String, Object> p = new LinkedHashMap<>();
                if (method.parameters().contains("density")) p.put("density", 0.3);
                if (method.parameters().contains("t")) p.put("t", 0.5);
                if (spec.length == 2) p.put(spec[1], true);
                if (whole) {
                    Merger.merge(ops, method, base, models, p, null, 1, new Merger.Sink() {
                        @Override public void put(String name, Tensor merged, Safetensors.Entry like) {}
                    });
                } else {
                    Path out = dir.resolve("out");
                    ShardedMerge.mergeIntoDirectory(ops, new ShardedMerge.Spec(method, base, models, p, null, 1, null, 1L << 30), out);
                    try (var files = Files.walk(out)) {
                        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
                    }
                }
                System.out.println("merged " + args[a]);
            }
        } catch (OutOfMemoryError e) {
            System.out.println("out of heap: " + e.getMessage());
            System.exit(3);
        }
    }
}
