package org.mtflow.nodes.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.random.Philox;

/**
 * Yu et al. (2020), PCGrad: each task's gradient of the shared parameters, taken as one vector,
 * loses its component along every other task's gradient it conflicts with (negative dot product),
 * the others visited in a seeded random order; the projected gradients are summed. Heads are not
 * shared, so their gradients pass unchanged.
 */
public final class PcGradWeighting implements TaskWeighting {
    private final double[] w;
    private final long seed;

    PcGradWeighting(int tasks, long seed) {
        w = new double[tasks];
        Arrays.fill(w, 1);
        this.seed = seed;
    }

    /**
     * The sum of the projected gradients: {@code grads.get(t)} is task t's gradient as a list of
     * tensors (the same shapes for every task), {@code orders[t]} the other tasks in the order task t
     * meets them. Returns new tensors; the inputs are not changed.
     */
    static List<Tensor> project(TensorOps ops, List<List<Tensor>> grads, int[][] orders) {
        int tasks = grads.size();
        List<Tensor> sum = new ArrayList<>();
        for (Tensor g : grads.get(0)) sum.add(Tensor.zerosLike(g));
        for (int i = 0; i < tasks; i++) {
            List<Tensor> pc = new ArrayList<>();
            for (Tensor g : grads.get(i)) pc.add(Tensor.of(g.data().clone(), g.shape()));
            for (int j : orders[i]) {
                List<Tensor> gj = grads.get(j);
                double dot = dot(ops, pc, gj);
                if (dot >= 0) continue;
                double norm2 = dot(ops, gj, gj);
                if (norm2 == 0) continue;
                for (int k = 0; k < pc.size(); k++) ops.axpy((float) (-dot / norm2), gj.get(k), pc.get(k));
            }
            for (int k = 0; k < pc.size(); k++) ops.add(sum.get(k), pc.get(k), sum.get(k));
        }
        return sum;
    }

    private static double dot(TensorOps ops, List<Tensor> a, List<Tensor> b) {
        double s = 0;
        for (int k = 0; k < a.size(); k++) s += ops.dot(a.get(k), b.get(k));
        return s;
    }

    /** For each task, the other tasks in a Philox-shuffled order keyed by the seed, step and task. */
    int[][] orders(int tasks, long step) {
        int[][] orders = new int[tasks][];
        for (int i = 0; i < tasks; i++) {
            int[] o = new int[tasks - 1];
            for (int j = 0, k = 0; j < tasks; j++) if (j != i) o[k++] = j;
            long stream = Philox.stream("pcgrad", Long.toString(step), Integer.toString(i));
            for (int a = o.length - 1; a > 0; a--) {
                int b = (int) (((Philox.bits(seed, stream, a) & 0xFFFFFFFFL) * (a + 1)) >>> 32);
                int tmp = o[a];
                o[a] = o[b];
                o[b] = tmp;
            }
            orders[i] = o;
        }
        return orders;
    }

    @Override
    public void combine(TensorOps ops, double[] losses, List<Map<String, Tensor>> grads, List<String> shared, float lr, long step,
                        Map<String, Tensor> out) {
        List<List<Tensor>> sharedGrads = new ArrayList<>();
        List<Map<String, Tensor>> heads = new ArrayList<>();
        for (Map<String, Tensor> g : grads) {
            List<Tensor> s = new ArrayList<>();
            for (String name : shared) s.add(g.get(name));
            sharedGrads.add(s);
            Map<String, Tensor> h = new LinkedHashMap<>(g);
            h.keySet().removeAll(shared);
            heads.add(h);
        }
        List<Tensor> sum = project(ops, sharedGrads, orders(grads.size(), step));
        for (int k = 0; k < shared.size(); k++) out.put(shared.get(k), sum.get(k));
        TaskWeighting.weightedSum(ops, w, heads, out);
    }

    @Override public double[] weights() { return w.clone(); }
}
