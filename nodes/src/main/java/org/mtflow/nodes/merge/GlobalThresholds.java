package org.mtflow.nodes.merge;

import java.io.IOException;
import java.util.List;
import org.mtflow.kernels.Tensor;

/**
 * TIES's whole-model top-k (the TIES paper's code and FusionBench): for each model i, the k-th largest
 * |τᵢ| over all its tensors, k = ⌊density·N⌋ with N the model's element count — the threshold that
 * {@code topk: global} trims each tensor with. An exact radix select over the float bits of |τ|, two
 * streaming passes over the checkpoints (high 16 bits, then low 16 bits inside the selected bucket),
 * so memory stays at two 65 536-bucket histograms per model. In Java: TensorOps' topkThreshold works
 * on one tensor, and there is no kernel that accumulates a histogram across tensors.
 */
final class GlobalThresholds {
    private GlobalThresholds() {}

    /** Reads the tensors of one name: the base's and each model's. */
    interface Source {
        List<String> names();

        Tensor base(String name) throws IOException;

        Tensor model(int i, String name) throws IOException;
    }

    static double[] compute(Source src, int models, long[] k) throws IOException {
        long[][] high = new long[models][1 << 16];
        forEachMagnitudeBits(src, models, (i, bits) -> high[i][bits >>> 16]++);
        int[] bucket = new int[models];
        long[] above = new long[models]; // elements in buckets above the selected one
        for (int i = 0; i < models; i++) {
            if (k[i] <= 0) continue;
            long seen = 0;
            int b = (1 << 16) - 1;
            while (b > 0 && seen + high[i][b] < k[i]) seen += high[i][b--];
            bucket[i] = b;
            above[i] = seen;
        }
        long[][] low = new long[models][1 << 16];
        forEachMagnitudeBits(src, models, (i, bits) -> {
            if ((bits >>> 16) == bucket[i]) low[i][bits & 0xFFFF]++;
        });
        double[] out = new double[models];
        for (int i = 0; i < models; i++) {
            if (k[i] <= 0) {
                out[i] = Double.POSITIVE_INFINITY;
                continue;
            }
            long seen = above[i];
            int b = (1 << 16) - 1;
            while (b > 0 && seen + low[i][b] < k[i]) seen += low[i][b--];
            out[i] = Float.intBitsToFloat((bucket[i] << 16) | b);
        }
        return out;
    }

    private interface BitsConsumer {
        void accept(int model, int bits);
    }

    /** Calls back with the bits of |θᵢ − θ₀| (computed in float, as the merge does), NaN skipped. */
    private static void forEachMagnitudeBits(Source src, int models, BitsConsumer c) throws IOException {
        for (String name : src.names()) {
            float[] b = src.base(name).data();
            for (int i = 0; i < models; i++) {
                float[] m = src.model(i, name).data();
                for (int j = 0; j < b.length; j++) {
                    float d = Math.abs(m[j] - b[j]);
                    if (!Float.isNaN(d)) c.accept(i, Float.floatToRawIntBits(d));
                }
            }
        }
    }
}
