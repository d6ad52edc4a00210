package org.mtflow.bench;

import static org.mtflow.bench.BenchData.samples;
import static org.mtflow.bench.BenchData.uniform;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.mtflow.bench.KernelCase.Kind;
import org.mtflow.bench.KernelCase.Prepared;
import org.mtflow.kernels.HalfFloats;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOps.HalfType;
import org.mtflow.kernels.TensorOps.SignElection;
import org.mtflow.kernels.random.Philox;

/**
 * The ops the kernel bench measures (issue 3, "Speed"), each with its inputs, its flop/byte model and
 * a spot check of the first call's output against a scalar reference, so that a kernel that skips
 * work cannot post a figure.
 */
final class KernelCases {
    /** Task vectors of the merge ops (TIES' K). */
    static final int K = 3;
    /** Classes of the softmax cross-entropy rows. */
    static final int CLASSES = 1000;
    /** Spot-checked elements per op. */
    private static final int SAMPLES = 256;

    private KernelCases() {}

    static List<KernelCase> all() {
        List<KernelCase> c = new ArrayList<>();
        String mm = "flops 2n³ (one multiply-add = 2)";
        c.add(new KernelCase("matmul", "A*B", Kind.MATMUL, mm, KernelCases::cube, n -> matmul(n, false, false)));
        c.add(new KernelCase("matmul", "At*B", Kind.MATMUL, mm, KernelCases::cube, n -> matmul(n, true, false)));
        c.add(new KernelCase("matmul", "A*Bt", Kind.MATMUL, mm, KernelCases::cube, n -> matmul(n, false, true)));
        c.add(new KernelCase("softmaxCrossEntropy", "fwd+bwd", Kind.COMPUTE,
                "flops 6/element (max, subtract, exp, sum, normalise, gradient; exp counted as 1); "
                        + "bytes 8/element + 4/row: read logits and labels, write grad",
                n -> rows(n) + "x" + CLASSES, KernelCases::softmaxCrossEntropy));
        c.add(new KernelCase("gelu", "tanh", Kind.COMPUTE,
                "flops 9/element (x³ 2, two scalings, two adds, tanh counted as 1, two multiplies); "
                        + "bytes 8n: read a, write out",
                KernelCases::elems, KernelCases::gelu));
        c.add(new KernelCase("add", "-", Kind.MEMORY,
                "bytes 12n: read a, b; write out", KernelCases::elems, KernelCases::add));
        c.add(new KernelCase("scale", "-", Kind.MEMORY,
                "bytes 8n: read a; write out", KernelCases::elems, KernelCases::scale));
        c.add(new KernelCase("axpy", "-", Kind.MEMORY,
                "bytes 12n: read x, y; write y", KernelCases::elems, KernelCases::axpy));
        for (HalfType t : HalfType.values()) {
            c.add(new KernelCase("encodeHalf", t.name(), Kind.MEMORY, "bytes 6n: read 4n floats; write 2n halves",
                    KernelCases::elems, n -> encodeHalf(n, t)));
        }
        for (HalfType t : HalfType.values()) {
            c.add(new KernelCase("decodeHalf", t.name(), Kind.MEMORY, "bytes 6n: read 2n halves; write 4n floats",
                    KernelCases::elems, n -> decodeHalf(n, t)));
        }
        for (SignElection mode : SignElection.values()) {
            c.add(new KernelCase("electSign", mode.name(), Kind.MEMORY,
                    "bytes 16n (K=3): read x1..x3; write out", KernelCases::kElems, n -> electSign(n, mode)));
        }
        c.add(new KernelCase("disjointMerge", "mean", Kind.MEMORY,
                "bytes 20n (K=3): read x1..x3, sign; write out", KernelCases::kElems, KernelCases::disjointMerge));
        c.add(new KernelCase("dropAndRescale", "p=0.9", Kind.RANDOM,
                "G elements/s = n / time; bytes 8n: read a; write out (the Philox draws are computed, not read)",
                KernelCases::elems, KernelCases::dropAndRescale));
        c.add(new KernelCase("uniform", "-", Kind.RANDOM,
                "G elements/s = n / time; bytes 4n: write out, floats in [-1, 1)"
                        + " (the draws alone: the pace dropAndRescale cannot beat)",
                KernelCases::elems, KernelCases::uniformDraws));
        c.add(new KernelCase("maskAtLeast", "-", Kind.MEMORY,
                "bytes 8n: read a; write mask", KernelCases::elems, KernelCases::maskAtLeast));
        c.add(new KernelCase("sum", "-", Kind.MEMORY, "bytes 4n: read a",
                KernelCases::elems, n -> reduction(n, 0)));
        c.add(new KernelCase("norm2", "-", Kind.MEMORY, "bytes 4n: read a",
                KernelCases::elems, n -> reduction(n, 1)));
        c.add(new KernelCase("dot", "-", Kind.MEMORY, "bytes 8n: read a, b",
                KernelCases::elems, n -> reduction(n, 2)));
        c.add(new KernelCase("adamW", "-", Kind.MEMORY,
                "bytes 28n: read param, grad, m, v; write param, m, v", KernelCases::elems, KernelCases::adamW));
        c.add(new KernelCase("sgdMomentum", "-", Kind.MEMORY,
                "bytes 20n: read param, grad, velocity; write param, velocity", KernelCases::elems,
                KernelCases::sgdMomentum));
        c.add(new KernelCase("topkThreshold", "k=n/5", Kind.SELECT,
                "G elements/s = n / time; bytes 4n (one read of a: the least an O(n) pass needs)",
                KernelCases::elems, KernelCases::topk));
        return List.copyOf(c);
    }

    private static String cube(int n) { return n + "^3"; }

    private static String elems(int n) { return KernelBenchOptions.label(n); }

    private static String kElems(int n) { return K + "x" + KernelBenchOptions.label(n); }

    private static int rows(int n) { return Math.max(1, n / CLASSES); }

    // ------------------------------------------------------------------ checks

    /** Collects the first discrepancy of a spot check. */
    static final class Problems {
        private String first;

        /** Bit-for-bit (±0 equal, NaN equals NaN): for the ops TensorOps calls exact. */
        void exact(String what, int i, double got, double want) {
            if (first == null && !(got == want || (Double.isNaN(got) && Double.isNaN(want)))) {
                first = what + "[" + i + "] = " + got + ", expected " + want;
            }
        }

        void near(String what, int i, double got, double want, double tol) {
            if (first == null && !(Math.abs(got - want) <= tol)) {
                first = what + "[" + i + "] = " + got + ", expected " + want + " ± " + (float) tol;
            }
        }

        void require(boolean ok, String message) {
            if (first == null && !ok) first = message;
        }

        String result() { return first; }
    }

    /** A prepared op whose first call is checked by {@link #verify}; {@link #before} snapshots in-place inputs. */
    private abstract static class Checked implements Prepared {
        private final double flops, bytes, elements;

        Checked(double flops, double bytes, double elements) {
            this.flops = flops;
            this.bytes = bytes;
            this.elements = elements;
        }

        @Override public double flops() { return flops; }
        @Override public double bytes() { return bytes; }
        @Override public double elements() { return elements; }

        void before() {}

        abstract void verify(Problems p);

        @Override
        public String first(TensorOps ops) {
            before();
            run(ops);
            Problems p = new Problems();
            verify(p);
            return p.result();
        }
    }

    private static float[] poisoned(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    // ------------------------------------------------------------------ linear algebra

    private static Prepared matmul(int n, boolean ta, boolean tb) {
        float[] a = uniform(n * n, 1, -1, 1), b = uniform(n * n, 2, -1, 1), c = poisoned(n * n);
        Tensor ta_ = Tensor.of(a, n, n), tb_ = Tensor.of(b, n, n), tc = Tensor.of(c, n, n);
        return new Checked(2.0 * n * n * n, 4.0 * 3 * n * n, (double) n * n) {
            @Override
            public void run(TensorOps ops) {
                if (!ta && !tb) ops.matmul(ta_, tb_, tc); // the common entry point, as nodes call it
                else ops.matmul(ta_, ta, tb_, tb, tc);
            }

            @Override
            void verify(Problems p) {
                for (int idx : samples(n * n, SAMPLES, 3)) {
                    int i = idx / n, j = idx % n;
                    double ref = 0, mag = 0;
                    for (int q = 0; q < n; q++) {
                        double t = (double) (ta ? a[q * n + i] : a[i * n + q]) * (tb ? b[j * n + q] : b[q * n + j]);
                        ref += t;
                        mag += Math.abs(t);
                    }
                    p.near("C", idx, c[idx], ref, 3e-5 * mag + 1e-30);
                }
            }
        };
    }

    // ------------------------------------------------------------------ compute-heavy elementwise

    private static Prepared softmaxCrossEntropy(int n) {
        int rows = rows(n), size = rows * CLASSES;
        float[] logits = uniform(size, 4, -4, 4), grad = poisoned(size);
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) labels[r] = (int) Long.remainderUnsigned(BenchData.mix(5, r), CLASSES);
        Tensor tl = Tensor.of(logits, rows, CLASSES), tg = Tensor.of(grad, rows, CLASSES);
        return new Checked(6.0 * size, 8.0 * size + 4.0 * rows, size) {
            double loss;

            @Override
            public void run(TensorOps ops) {
                loss = ops.softmaxCrossEntropy(tl, labels, tg);
                Timing.sink = loss;
            }

            @Override
            void verify(Problems p) {
                double refLoss = IntStream.range(0, rows).parallel().mapToDouble(r -> {
                    double[] ms = rowMaxSum(logits, r);
                    return -((logits[r * CLASSES + labels[r]] - ms[0]) - Math.log(ms[1]));
                }).sum() / rows;
                p.near("loss", 0, loss, refLoss, 1e-4 * Math.abs(refLoss));
                for (int idx : samples(size, SAMPLES, 6)) {
                    int r = idx / CLASSES, col = idx % CLASSES;
                    double[] ms = rowMaxSum(logits, r);
                    double unscaled = Math.exp(logits[idx] - ms[0]) / ms[1] - (col == labels[r] ? 1 : 0);
                    p.near("grad", idx, grad[idx], unscaled / rows, (2e-5 * Math.abs(unscaled) + 1e-7) / rows);
                }
            }
        };
    }

    private static double[] rowMaxSum(float[] x, int r) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int c = 0; c < CLASSES; c++) max = Math.max(max, x[r * CLASSES + c]);
        for (int c = 0; c < CLASSES; c++) sum += Math.exp(x[r * CLASSES + c] - max);
        return new double[] {max, sum};
    }

    private static Prepared gelu(int n) {
        float[] a = uniform(n, 7, -4, 4), out = poisoned(n);
        Tensor ta = Tensor.of(a, n), to = Tensor.of(out, n);
        return new Checked(9.0 * n, 8.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.gelu(ta, to); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 8)) {
                    double x = a[i];
                    double ref = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
                    p.near("out", i, out[i], ref, 1e-5 * Math.abs(ref) + 1e-6);
                }
            }
        };
    }

    // ------------------------------------------------------------------ memory-bound elementwise

    private static Prepared add(int n) {
        float[] a = uniform(n, 9, -1, 1), b = uniform(n, 10, -1, 1), out = poisoned(n);
        Tensor ta = Tensor.of(a, n), tb = Tensor.of(b, n), to = Tensor.of(out, n);
        return new Checked(0, 12.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.add(ta, tb, to); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 11)) p.exact("out", i, out[i], a[i] + b[i]);
            }
        };
    }

    private static Prepared scale(int n) {
        float s = 1.7f;
        float[] a = uniform(n, 12, -1, 1), out = poisoned(n);
        Tensor ta = Tensor.of(a, n), to = Tensor.of(out, n);
        return new Checked(0, 8.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.scale(ta, s, to); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 13)) p.exact("out", i, out[i], s * a[i]);
            }
        };
    }

    private static Prepared axpy(int n) {
        float alpha = 1e-3f; // small, so y stays bounded over many timed calls
        float[] x = uniform(n, 14, -1, 1), y = uniform(n, 15, -1, 1);
        Tensor tx = Tensor.of(x, n), ty = Tensor.of(y, n);
        int[] idx = samples(n, SAMPLES, 16);
        float[] y0 = new float[idx.length];
        return new Checked(0, 12.0 * n, n) {
            @Override void before() { for (int j = 0; j < idx.length; j++) y0[j] = y[idx[j]]; }

            @Override public void run(TensorOps ops) { ops.axpy(alpha, tx, ty); }

            @Override
            void verify(Problems p) {
                for (int j = 0; j < idx.length; j++) p.exact("y", idx[j], y[idx[j]], Math.fma(alpha, x[idx[j]], y0[j]));
            }
        };
    }

    // ------------------------------------------------------------------ casts

    private static Prepared encodeHalf(int n, HalfType type) {
        float[] a = uniform(n, 17, -1, 1);
        short[] out = new short[n];
        Arrays.fill(out, (short) 0x7E01); // a NaN that neither encoder produces for these inputs
        Tensor ta = Tensor.of(a, n);
        boolean bf16 = type == HalfType.BF16;
        return new Checked(0, 6.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.encodeHalf(ta, type, out, 0); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 18)) {
                    p.exact("out", i, out[i], bf16 ? HalfFloats.floatToBf16(a[i]) : HalfFloats.floatToHalf(a[i]));
                }
            }
        };
    }

    private static Prepared decodeHalf(int n, HalfType type) {
        boolean bf16 = type == HalfType.BF16;
        short[] in = BenchData.encode(uniform(n, 19, -1, 1), bf16);
        float[] out = poisoned(n);
        Tensor to = Tensor.of(out, n);
        return new Checked(0, 6.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.decodeHalf(in, 0, type, to); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 20)) {
                    p.exact("out", i, out[i], bf16 ? HalfFloats.bf16ToFloat(in[i]) : HalfFloats.halfToFloat(in[i]));
                }
            }
        };
    }

    // ------------------------------------------------------------------ merging

    /** K task vectors, a quarter of each trimmed to 0. */
    private static float[][] taskVectors(int n) {
        float[][] xs = new float[K][];
        for (int k = 0; k < K; k++) xs[k] = BenchData.sparseUniform(n, 21 + k, -1, 1, 0.25f);
        return xs;
    }

    private static Tensor[] tensors(float[][] xs, int n) {
        Tensor[] t = new Tensor[xs.length];
        for (int k = 0; k < xs.length; k++) t[k] = Tensor.of(xs[k], n);
        return t;
    }

    private static Prepared electSign(int n, SignElection mode) {
        float[][] xs = taskVectors(n);
        float[] out = poisoned(n);
        Tensor[] txs = tensors(xs, n);
        Tensor to = Tensor.of(out, n);
        return new Checked(0, 4.0 * (K + 1) * n, n) {
            @Override public void run(TensorOps ops) { ops.electSign(txs, mode, to); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 24)) {
                    if (mode == SignElection.COUNT) {
                        float votes = 0;
                        for (float[] x : xs) votes += Math.signum(x[i]);
                        p.exact("out", i, out[i], Math.signum(votes));
                    } else {
                        float sf = 0;
                        double sd = 0;
                        for (float[] x : xs) {
                            sf += x[i];
                            sd += x[i];
                        }
                        // The float total may round to the other side of 0 than the exact one: either sign is right.
                        boolean ok = out[i] == Math.signum(sf) || out[i] == Math.signum(sd);
                        p.require(ok, "out[" + i + "] = " + out[i] + ", expected sign of " + sd);
                    }
                }
            }
        };
    }

    private static Prepared disjointMerge(int n) {
        float[][] xs = taskVectors(n);
        float[] sign = BenchData.signs(n, 25, 1 / 16f), out = poisoned(n);
        Tensor[] txs = tensors(xs, n);
        Tensor ts = Tensor.of(sign, n), to = Tensor.of(out, n);
        return new Checked(0, 4.0 * (K + 2) * n, n) {
            @Override public void run(TensorOps ops) { ops.disjointMerge(txs, ts, true, to); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 26)) {
                    double sum = 0, mag = 0;
                    int count = 0;
                    for (float[] x : xs) {
                        if (x[i] != 0 && sign[i] != 0 && Math.signum(x[i]) == sign[i]) {
                            sum += x[i];
                            mag += Math.abs(x[i]);
                            count++;
                        }
                    }
                    double ref = count == 0 ? 0 : sum / count;
                    p.near("out", i, out[i], ref, 1e-6 * mag);
                }
            }
        };
    }

    private static Prepared dropAndRescale(int n) {
        float prob = 0.9f;
        long seed = 27, stream = 28;
        float[] a = uniform(n, 29, -1, 1), out = poisoned(n);
        Tensor ta = Tensor.of(a, n), to = Tensor.of(out, n);
        return new Checked(0, 8.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.dropAndRescale(ta, prob, seed, stream, to); }

            @Override
            void verify(Problems p) {
                long cut = Math.round(prob * 0x1.0p24);
                for (int i : samples(n, SAMPLES, 30)) {
                    boolean keep = (Philox.bits(seed, stream, i) >>> 8) >= cut;
                    double ref = keep ? a[i] / (1.0 - prob) : 0;
                    p.near("out", i, out[i], ref, 1e-6 * Math.abs(ref));
                }
            }
        };
    }

    private static Prepared uniformDraws(int n) {
        long seed = 35, stream = 36;
        float[] out = poisoned(n);
        Tensor to = Tensor.of(out, n);
        return new Checked(0, 4.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.uniform(seed, stream, -1f, 1f, to); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 37)) {
                    p.exact("out", i, out[i], Philox.toUniform(Philox.bits(seed, stream, i), -1f, 1f));
                }
            }
        };
    }

    private static Prepared maskAtLeast(int n) {
        float threshold = 0.5f;
        float[] a = uniform(n, 31, -1, 1), mask = poisoned(n);
        Tensor ta = Tensor.of(a, n), tm = Tensor.of(mask, n);
        return new Checked(0, 8.0 * n, n) {
            @Override public void run(TensorOps ops) { ops.maskAtLeast(ta, threshold, tm); }

            @Override
            void verify(Problems p) {
                for (int i : samples(n, SAMPLES, 32)) p.exact("mask", i, mask[i], Math.abs(a[i]) >= threshold ? 1 : 0);
            }
        };
    }

    private static Prepared topk(int n) {
        float[] a = uniform(n, 33, -1, 1);
        Tensor ta = Tensor.of(a, n);
        long k = Math.max(1, n / 5);
        return new Checked(0, 4.0 * n, n) {
            float t;

            @Override
            public void run(TensorOps ops) {
                t = ops.topkThreshold(ta, k);
                Timing.sink = t;
            }

            @Override
            void verify(Problems p) {
                float th = t;
                long atLeast = IntStream.range(0, n).parallel().filter(i -> Math.abs(a[i]) >= th).count();
                long above = IntStream.range(0, n).parallel().filter(i -> Math.abs(a[i]) > th).count();
                p.require(atLeast >= k && above < k, "threshold " + th + " keeps " + atLeast + " (" + above
                        + " strictly above), not the top " + k);
            }
        };
    }

    // ------------------------------------------------------------------ reductions

    /** which: 0 sum, 1 norm2, 2 dot. */
    private static Prepared reduction(int n, int which) {
        float[] a = uniform(n, 34, -1, 1), b = which == 2 ? uniform(n, 35, -1, 1) : null;
        Tensor ta = Tensor.of(a, n), tb = b == null ? null : Tensor.of(b, n);
        return new Checked(0, 4.0 * (which == 2 ? 2 : 1) * n, n) {
            double got;

            @Override
            public void run(TensorOps ops) {
                got = switch (which) {
                    case 0 -> ops.sum(ta);
                    case 1 -> ops.norm2(ta);
                    default -> ops.dot(ta, tb);
                };
                Timing.sink = got;
            }

            @Override
            void verify(Problems p) {
                double ref = 0, mag = 0;
                for (int i = 0; i < n; i++) {
                    double t = which == 0 ? a[i] : which == 1 ? (double) a[i] * a[i] : (double) a[i] * b[i];
                    ref += t;
                    mag += Math.abs(t);
                }
                if (which == 1) {
                    ref = Math.sqrt(ref);
                    mag = ref;
                }
                p.near("result", 0, got, ref, 1e-5 * mag);
            }
        };
    }

    // ------------------------------------------------------------------ optimizer steps

    private static Prepared adamW(int n) {
        float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
        float[] param = uniform(n, 36, -1, 1), grad = uniform(n, 37, -1, 1);
        float[] m = uniform(n, 38, -0.01f, 0.01f), v = uniform(n, 39, 0, 1e-4f);
        Tensor tp = Tensor.of(param, n), tg = Tensor.of(grad, n), tm = Tensor.of(m, n), tv = Tensor.of(v, n);
        int[] idx = samples(n, SAMPLES, 40);
        float[][] before = new float[3][idx.length];
        return new Checked(0, 28.0 * n, n) {
            int step;

            @Override
            void before() {
                for (int j = 0; j < idx.length; j++) {
                    before[0][j] = param[idx[j]];
                    before[1][j] = m[idx[j]];
                    before[2][j] = v[idx[j]];
                }
            }

            @Override public void run(TensorOps ops) { ops.adamW(tp, tg, tm, tv, lr, b1, b2, eps, wd, ++step); }

            @Override
            void verify(Problems p) {
                for (int j = 0; j < idx.length; j++) {
                    int i = idx[j];
                    double g = grad[i], p0 = before[0][j], m0 = before[1][j], v0 = before[2][j];
                    double m1 = b1 * m0 + (1 - (double) b1) * g, v1 = b2 * v0 + (1 - (double) b2) * g * g;
                    double decayed = p0 - (double) lr * wd * p0;
                    double update = lr * (m1 / (1 - b1)) / (Math.sqrt(v1 / (1 - (double) b2)) + eps);
                    p.near("m", i, m[i], m1, 1e-5 * (Math.abs(b1 * m0) + Math.abs((1 - b1) * g)) + 1e-12);
                    p.near("v", i, v[i], v1, 1e-5 * (b2 * v0 + (1 - b2) * g * g) + 1e-15);
                    p.near("param", i, param[i], decayed - update, 1e-5 * (Math.abs(decayed) + Math.abs(update)) + 1e-9);
                }
            }
        };
    }

    private static Prepared sgdMomentum(int n) {
        float lr = 0.01f, mu = 0.9f, wd = 1e-4f;
        float[] param = uniform(n, 41, -1, 1), grad = uniform(n, 42, -1, 1), vel = uniform(n, 43, -0.1f, 0.1f);
        Tensor tp = Tensor.of(param, n), tg = Tensor.of(grad, n), tv = Tensor.of(vel, n);
        int[] idx = samples(n, SAMPLES, 44);
        float[][] before = new float[2][idx.length];
        return new Checked(0, 20.0 * n, n) {
            @Override
            void before() {
                for (int j = 0; j < idx.length; j++) {
                    before[0][j] = param[idx[j]];
                    before[1][j] = vel[idx[j]];
                }
            }

            @Override public void run(TensorOps ops) { ops.sgdMomentum(tp, tg, tv, lr, mu, wd, false); }

            @Override
            void verify(Problems p) {
                for (int j = 0; j < idx.length; j++) {
                    int i = idx[j];
                    double p0 = before[0][j], v0 = before[1][j], g = grad[i] + (double) wd * p0;
                    double v1 = mu * v0 + g, p1 = p0 - lr * v1;
                    double gMag = Math.abs(grad[i]) + Math.abs(wd * p0);
                    p.near("velocity", i, vel[i], v1, 1e-5 * (Math.abs(mu * v0) + gMag) + 1e-12);
                    p.near("param", i, param[i], p1, 1e-5 * (Math.abs(p0) + Math.abs(lr * v1)) + 1e-9);
                }
            }
        };
    }

    /** For tests: the rows {@link KernelBench} prints for these options, as (op, variant, size label). */
    static List<String[]> expectedRows(KernelBenchOptions o) {
        List<String[]> rows = new ArrayList<>();
        for (KernelCase c : all()) {
            if (!o.selects(c.op(), c.variant())) continue;
            for (int size : sizesOf(c, o)) rows.add(new String[] {c.op(), c.variant(), c.label().apply(size)});
        }
        return rows;
    }

    static List<Integer> sizesOf(KernelCase c, KernelBenchOptions o) {
        return switch (c.kind()) {
            case MATMUL -> o.sizes();
            case SELECT -> o.topkElems();
            default -> o.elems();
        };
    }

}
