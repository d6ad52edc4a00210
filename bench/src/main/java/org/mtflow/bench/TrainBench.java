package org.mtflow.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.aparapi.AparapiOps;
import org.mtflow.nodes.model.Activation;
import org.mtflow.nodes.model.Mlp;
import org.mtflow.nodes.model.MlpSpec;
import org.mtflow.nodes.model.Optimizer;

/**
 * Training throughput of the Fashion-MNIST MLP (784-512-256-10 ReLU, softmax cross-entropy, SGD lr
 * 0.05 momentum 0.9, batch 128): samples/s of full steps (forward, backward, optimizer update) on
 * each backend here, next to PyTorch's CPU figure for the same model and batch at 1 and 2 threads
 * when a python3 with torch is found (Debian: {@code apt-get install python3-torch}). Inputs are
 * seeded random pixels in [0, 1) with random labels: the speed of a step does not depend on them.
 * Each figure is the median of {@code --reps} timed runs of {@code --steps} steps, after
 * {@code --warmup} steps (JIT, kernel compilation).
 *
 * <p>{@code --profile} also prints the time per step of each op and shape (timed through a proxy, so
 * the step rate it prints includes the proxy's cost).
 *
 * <pre>bench/run.sh TrainBench [--steps N] [--warmup N] [--reps R] [--device jvm|opencl...] [--no-torch] [--profile]</pre>
 */
public final class TrainBench {
    private TrainBench() {}

    static final int INPUTS = 784, BATCH = 128, CLASSES = 10, ROWS = 4096;
    static final List<Integer> HIDDEN = List.of(512, 256);
    static final float LR = 0.05f, MOMENTUM = 0.9f;

    record Options(int steps, int warmup, int reps, String device, boolean torch, boolean profile) {
        static Options parse(String... args) {
            int steps = 200, warmup = 30, reps = 3;
            String device = null;
            boolean torch = true, profile = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--steps" -> steps = Integer.parseInt(args[++i]);
                    case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                    case "--reps" -> reps = Integer.parseInt(args[++i]);
                    case "--device" -> device = args[++i];
                    case "--no-torch" -> torch = false;
                    case "--profile" -> profile = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + "; usage: TrainBench [--steps N] [--warmup N] [--reps R] [--device ID] [--no-torch] [--profile]");
                }
            }
            if (steps < 1 || warmup < 0 || reps < 1) throw new IllegalArgumentException("--steps and --reps must be at least 1, --warmup at least 0");
            return new Options(steps, warmup, reps, device, torch, profile);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        System.out.printf(Locale.ROOT, "# TrainBench: MLP %d-%s-%d relu, SGD lr %.2f momentum %.1f, batch %d; %d warmup + %d x %d timed steps; %d cores%n",
                INPUTS, HIDDEN, CLASSES, LR, MOMENTUM, BATCH, o.warmup, o.reps, o.steps, Runtime.getRuntime().availableProcessors());
        Map<String, Double> figures = new java.util.LinkedHashMap<>();
        boolean openCl = o.device == null || !o.device.equals("jvm");
        for (Device d : Devices.discover(openCl)) {
            if (o.device != null && !d.id().equals(o.device)) continue;
            TensorOps ops;
            try {
                ops = d.ops();
            } catch (RuntimeException | LinkageError e) {
                System.out.printf(Locale.ROOT, "%-28s backend failed to start: %s%n", d.id(), e);
                continue;
            }
            measure(ops, d.id() + " (" + d.kind() + ")", o, figures);
            // A CPU device's backend runs matmul on the host (AparapiOps.forDevice): also time the kernels alone.
            if (ops instanceof AparapiOps cl && cl.device().getType() != com.aparapi.device.Device.TYPE.GPU) {
                try (AparapiOps kernels = new AparapiOps(cl.device())) {
                    measure(kernels, d.id() + " (" + d.kind() + "), kernels only", o, figures);
                }
            }
            ops.close();
        }
        if (!openCl || Devices.probeOpenCl().problem() != null) {
            System.out.println("# no OpenCL backend" + (openCl ? ": " + Devices.probeOpenCl().problem() : " (--device jvm)"));
        }
        double torchBest = 0;
        if (o.torch) {
            String python = pythonWithTorch();
            if (python == null) {
                System.out.println("# PyTorch missing: no python3 here imports torch; install it (Debian: apt-get install -y python3-torch libopenblas0-pthread, "
                        + "or pip install torch) and rerun for the reference figures");
            } else {
                for (int threads : new int[] {1, 2}) {
                    double sps = torch(python, threads, o);
                    torchBest = Math.max(torchBest, sps);
                    System.out.printf(Locale.ROOT, "%-44s %,10.0f samples/s%n", "pytorch cpu, " + threads + " thread" + (threads > 1 ? "s" : ""), sps);
                }
            }
        }
        if (torchBest > 0) {
            for (var e : figures.entrySet()) {
                System.out.printf(Locale.ROOT, "%-44s %.2fx PyTorch's best (%,.0f samples/s)%n", e.getKey(), e.getValue() / torchBest, torchBest);
            }
        }
    }

    private static void measure(TensorOps ops, String label, Options o, Map<String, Double> figures) {
        OpProfile profile = o.profile ? new OpProfile() : null;
        double sps = mtflow(profile == null ? ops : profile.wrap(ops), o);
        figures.put(label, sps);
        System.out.printf(Locale.ROOT, "%-44s %,10.0f samples/s%n", label, sps);
        if (profile != null) profile.print(o.reps * o.steps);
    }

    /** Median samples/s of full training steps on {@code ops}. */
    static double mtflow(TensorOps ops, Options o) {
        SplittableRandom rnd = new SplittableRandom(42);
        float[] x = new float[ROWS * INPUTS];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) y[i] = rnd.nextInt(CLASSES);
        MlpSpec spec = new MlpSpec(INPUTS, HIDDEN, Activation.RELU, Map.of("bench", CLASSES));
        Mlp model = Mlp.init(spec, ops, 42, 0);
        Optimizer sgd = new Optimizer(Optimizer.Kind.SGD, MOMENTUM, 0f);
        Map<String, Tensor> grads = new HashMap<>();
        int[] step = {0};
        Runnable one = () -> {
            int from = (step[0]++ * BATCH) % ROWS;
            Tensor xb = Tensor.of(Arrays.copyOfRange(x, from * INPUTS, (from + BATCH) * INPUTS), BATCH, INPUTS);
            int[] yb = Arrays.copyOfRange(y, from, from + BATCH);
            model.lossAndGradients(ops, xb, yb, "bench", grads);
            sgd.step(ops, model.parameters(), grads, LR);
        };
        for (int i = 0; i < o.warmup; i++) one.run();
        if (ops instanceof java.lang.reflect.Proxy && java.lang.reflect.Proxy.getInvocationHandler(ops) instanceof OpProfile p) p.reset();
        double[] rates = new double[o.reps];
        for (int r = 0; r < o.reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < o.steps; i++) one.run();
            rates[r] = o.steps * (double) BATCH / ((System.nanoTime() - t0) / 1e9);
        }
        Arrays.sort(rates);
        return rates[o.reps / 2];
    }

    /**
     * The first of /usr/bin/python3, python3 that imports torch: Debian's package is seen by the
     * system python only (a pyenv shim named python3 on the PATH may come first and lack it).
     */
    static String pythonWithTorch() throws InterruptedException {
        for (String python : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) return python;
            } catch (IOException e) {
                // not on this machine: try the next
            }
        }
        return null;
    }

    /** The same model, loss, optimizer and batch in PyTorch: median samples/s over the reps. */
    static final String TORCH_SCRIPT = String.join("\n",
            "import sys, time, torch",
            "threads, steps, warmup, reps = map(int, sys.argv[1:5])",
            "torch.set_num_threads(threads); torch.manual_seed(42)",
            "m = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))",
            "opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)",
            "x = torch.rand(4096, 784); y = torch.randint(0, 10, (4096,))",
            "k = [0]",
            "def step():",
            "    f = (k[0] * 128) % 4096; k[0] += 1",
            "    opt.zero_grad(set_to_none=True)",
            "    loss = torch.nn.functional.cross_entropy(m(x[f:f + 128]), y[f:f + 128])",
            "    loss.backward(); opt.step()",
            "for _ in range(warmup): step()",
            "rates = []",
            "for _ in range(reps):",
            "    t = time.perf_counter()",
            "    for _ in range(steps): step()",
            "    rates.append(steps * 128 / (time.perf_counter() - t))",
            // BLAS_INFO says only "generic" for Debian's build: name the library this process mapped
            "libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.split()[-1]})",
            "print('blas', ' '.join(libs) or '?')",
            "print(sorted(rates)[reps // 2])");

    static double torch(String python, int threads, Options o) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(python, "-c", TORCH_SCRIPT, String.valueOf(threads), String.valueOf(o.steps),
                String.valueOf(o.warmup), String.valueOf(o.reps)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("the PyTorch reference failed (" + python + "): " + out);
        }
        String[] lines = out.split("\n");
        String blas = lines.length > 1 ? lines[lines.length - 2].trim().replaceFirst("^blas ", "") : "?";
        if (threads == 1) {
            System.out.println("# PyTorch " + python + ", BLAS: " + blas);
            if (!blas.contains("openblas") && !blas.contains("mkl")) {
                // Debian's torch calls the system libblas: the netlib reference one unless an optimized one is installed
                System.out.println("# PyTorch runs on the reference BLAS: its figures are far below an optimized one's;"
                        + " apt-get install -y libopenblas0-pthread gives a fairer reference");
            }
        }
        return Double.parseDouble(lines[lines.length - 1].trim());
    }
}
