package org.mtflow.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;

/**
 * Throughput of the thin op set on every device here: matmul in GFLOP/s, add/scale/sum in GB/s of
 * memory traffic. Best of several timed repetitions after warm-up (the first OpenCL call compiles).
 *
 * <pre>bench/run.sh KernelBench [sizes...]</pre>
 */
public final class KernelBench {
    public static void main(String[] args) {
        List<Integer> sizes = new ArrayList<>();
        for (String a : args) sizes.add(Integer.parseInt(a));
        if (sizes.isEmpty()) sizes = List.of(256, 512, 1024, 2048);
        System.out.printf(Locale.ROOT, "%-10s %-60s %-12s %10s%n", "device", "backend", "op", "figure");
        for (Device d : Devices.discover(true)) {
            TensorOps ops = d.ops();
            for (int n : sizes) {
                Tensor a = random(1, n, n), b = random(2, n, n), c = Tensor.zeros(n, n);
                double s = best(() -> ops.matmul(a, b, c), n >= 2048 ? 3 : 5);
                print(d, ops, "matmul " + n, 2.0 * n * n * n / s / 1e9, "GFLOP/s");
            }
            int len = 32 << 20;
            Tensor x = random(3, len), y = random(4, len), out = Tensor.zeros(len);
            print(d, ops, "add 32M", 3.0 * 4 * len / best(() -> ops.add(x, y, out), 5) / 1e9, "GB/s");
            print(d, ops, "scale 32M", 2.0 * 4 * len / best(() -> ops.scale(x, 0.5f, out), 5) / 1e9, "GB/s");
            print(d, ops, "sum 32M", 4.0 * len / best(() -> ops.sum(x), 5) / 1e9, "GB/s");
            ops.close();
        }
    }

    private static void print(Device d, TensorOps ops, String op, double value, String unit) {
        System.out.printf(Locale.ROOT, "%-10s %-60s %-12s %8.1f %s%n", d.id(), ops.name(), op, value, unit);
    }

    private static Tensor random(long stream, int... shape) {
        Tensor t = Tensor.zeros(shape);
        Philox.fillUniform(t.data(), 42, stream, 0, -1, 1);
        return t;
    }

    /** Seconds of the fastest of {@code reps} runs, after two warm-up runs. */
    static double best(Runnable op, int reps) {
        op.run();
        op.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            op.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }
}
