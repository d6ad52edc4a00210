package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.mtflow.kernels.Shapes;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.jvm.JavaOps;

/**
 * The OpenCL backend: Aparapi kernels run on one OpenCL device, one kernel class per op family.
 *
 * <p>Dispatch. Each op picks, per call, plain Java or a kernel, and the kernel's shape for the
 * device type: below a measured work size ({@code *_MIN} below) a launch costs more than the work
 * and the op runs on a single-threaded {@link JavaOps} (whose exact ops give the kernels' bits).
 * CPU devices (PoCL) get work-group size 1, a few thousand contiguous elements per work-item, and
 * hand-written OpenCL C for the matmul and the reductions ({@link PackedMatmulKernel}, {@link
 * ReduceCpuKernel}); GPU devices get one element per work-item (coalesced), strided reductions,
 * atomics for histograms and a local-memory tiled matmul. Every choice is logged once per op and
 * variant at FINE on this class's logger.
 *
 * <p>Fallback. A kernel is compiled on the device before its first launch; one that fails to build
 * is never launched (Aparapi would run it on its Java thread pool, where the bit intrinsics are
 * placeholders): its ops take the plain-Java path and count in {@link #fallbackLaunches()}, as does
 * any launch after which {@link Kernel#isRunningCL()} is false.
 *
 * <p>Threads: ops are synchronized, since kernels hold their arguments in fields.
 */
public final class AparapiOps implements TensorOps {
    private static final Logger LOG = Logger.getLogger(AparapiOps.class.getName());

    // Work sizes (elements unless stated) below which the plain-Java path runs: the crossovers
    // measured by AparapiKernelsBench thresholds on PoCL, 2-core AVX-512, with another process
    // busy on one core (kernel launches then take ~80 µs; ~20 µs on an idle machine). Cheap
    // streaming ops only win once two cores beat one core's vectorized Java loop on memory.
    /** add, sub, mul, scale, axpy, clamp, sign, abs, relu(Backward), fill, copy, maskAtLeast, addBias, outerAccumulate. */
    static final int ELEMENTWISE_MIN = 1 << 20;
    /** gelu and geluBackward (tanh per element). */
    static final int GELU_MIN = 1 << 11;
    static final int CAST_F16_MIN = 1 << 16;
    static final int CAST_BF16_MIN = 1 << 20;
    /** sum, norm1, norm2, dot (cosine, slerp's statistics). */
    static final int REDUCE_MIN = 1 << 18;
    static final int MAX_MIN = 1 << 20;
    static final int SUM_ROWS_MIN = 1 << 20;
    /** softmaxRows and softmaxCrossEntropy. */
    static final int SOFTMAX_MIN = 1 << 13;
    static final int ARGMAX_MIN = 1 << 19;
    static final int ROW_TOPK_MIN = 1 << 17;
    static final int OPTIMIZER_MIN = 1 << 21;
    /** electSign and disjointMerge: elements × task vectors. */
    static final int MERGE_MIN = 1 << 15;
    /** uniform and dropAndRescale. */
    static final int RANDOM_MIN = 1 << 14;
    static final int TOPK_MIN = 1 << 18;
    /** Gathered top-k candidates: selected by kernels from this many, in plain Java below. */
    static final int TOPK_CANDIDATES_MIN = 1 << 16;
    /** m·n·k multiply-adds. */
    static final long MATMUL_MIN = 1L << 19;

    /** Elements per work-item of the streaming kernels on a CPU: one vectorized loop per thread. */
    static final int CPU_CHUNK = 4096;
    /** Elements per work-item (and float partial) of reductions on a CPU. */
    static final int CPU_REDUCE_CHUNK = 1 << 14;
    /** Most elements per work-item of the top-k passes on a CPU. */
    static final int CPU_TOPK_CHUNK = 1 << 20;
    /** Most elements sampled to bracket the top-k threshold. */
    static final int TOPK_SAMPLES = 1 << 14;
    /** Target elements per work-item of row ops on a CPU. */
    static final int CPU_ROW_WORK = 4096;
    // PackedMatmulKernel's tiles: 64 rows × 256 columns, k-blocks of 256 (a work-item's block of a
    // B strip, 16 KB, stays in L1). 1024³ with both packings, alternating runs in one JVM: A·B
    // 143-145 and Aᵀ·B 140-142 GFLOP/s against 114-115 for the Java-written kernel it replaced
    // (with B packed only: 145-149 A·B at full host speed; 64 × 1024 × 64 135, 32 × 256 × 128 135,
    // 64 × 512 × 128 142).
    static final int CPU_MATMUL_TILE_ROWS = 64;
    static final int CPU_MATMUL_TILE_COLS = 256;
    static final int CPU_MATMUL_K_BLOCK = 256;
    /** Work-items of strided reductions and atomic histograms on a GPU. */
    static final int GPU_REDUCE_ITEMS = 1 << 14;

    private final OpenCLDevice device;
    private final boolean gpu;
    private final int groupSize;
    private final int computeUnits;
    private final TensorOps small;
    /** Whether {@link #small} is this backend's own (closed with it). */
    private final boolean ownsSmall;
    /** Whether matmul always runs on {@link #small} (see {@link #forDevice}). */
    private final boolean hostMatmul;
    private TensorOps javaBackend;

    private final OuterKernel outer = new OuterKernel();
    private final MatmulTiledKernel matmulTiledKernel = new MatmulTiledKernel();
    private final ElementwiseKernel elementwise = new ElementwiseKernel();
    private final CastKernel cast = new CastKernel();
    private final ReduceKernel reduce = new ReduceKernel();
    private final ReduceCpuKernel reduceCpu = new ReduceCpuKernel();
    private final PackedMatmulKernel packedMatmul = new PackedMatmulKernel();
    /** Whether reduce-cpu.cl and packed-matmul.cl were injected (else Aparapi compiles the Java bodies). */
    private final boolean reduceCpuSource, packedMatmulSource;
    private final RowKernel row = new RowKernel();
    private final OptimizerKernel optimizer = new OptimizerKernel();
    private final MergeKernel merge = new MergeKernel();
    private final RandomKernel random = new RandomKernel();
    private final TopkKernel topk = new TopkKernel();
    private final TopkBracketKernel bracket = new TopkBracketKernel();

    /** Kernel → built on the device (true) or failed to build (false); absent until first use. */
    private final Map<Kernel, Boolean> built = new IdentityHashMap<>();
    /** Kernels launched at least once. */
    private final Set<Kernel> ran = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<String> logged = new HashSet<>();
    private long launches;
    private long fallbackLaunches;
    /** Benchmarks only: launch kernels at any size, to measure where the thresholds belong. */
    boolean ignoreThresholds;
    /** Top-k candidate slots per candidate the sample predicts (tests shrink it to overflow them). */
    double topkSlots = 1.5;

    /** The backend for {@code device}, with the kernel shapes of its type (GPU or not). */
    public AparapiOps(OpenCLDevice device) {
        this(device, device.getType() == Device.TYPE.GPU);
    }

    /**
     * The backend for {@code device}, running tensors below the thresholds on {@code small} (for
     * example {@link JavaOps}) instead of this package's single-threaded loops. {@code small} must
     * give the exact ops the same bits as the kernels, as every backend must.
     */
    public AparapiOps(OpenCLDevice device, TensorOps small) {
        this(device, device.getType() == Device.TYPE.GPU, small);
    }

    /**
     * With the kernel shapes chosen explicitly: tests run the GPU shapes on a CPU device (correct
     * there, only slow).
     */
    AparapiOps(OpenCLDevice device, boolean gpuShapes) {
        this(device, gpuShapes, new JavaOps(1), true, false);
    }

    private AparapiOps(OpenCLDevice device, boolean gpuShapes, TensorOps small) {
        this(device, gpuShapes, small, false, false);
    }

    private AparapiOps(OpenCLDevice device, boolean gpuShapes, TensorOps small, boolean ownsSmall, boolean hostMatmul) {
        this.device = Objects.requireNonNull(device, "device");
        this.gpu = gpuShapes;
        this.groupSize = gpuShapes ? Math.max(1, Math.min(256, device.getMaxWorkGroupSize())) : 1;
        this.computeUnits = Math.max(1, device.getMaxComputeUnits());
        this.small = Objects.requireNonNull(small, "small");
        this.ownsSmall = ownsSmall;
        this.hostMatmul = hostMatmul;
        // CPU shapes run hand-written OpenCL C for these kernels (see OpenCLSources).
        this.reduceCpuSource = !gpuShapes && OpenCLSources.inject(reduceCpu, "reduce-cpu.cl");
        this.packedMatmulSource = !gpuShapes && OpenCLSources.inject(packedMatmul, "packed-matmul.cl");
    }

    /**
     * The backend the engine gives an OpenCL device. A GPU gets the kernels as {@link
     * #AparapiOps(OpenCLDevice)} does. A CPU device (PoCL) computes on the host's own cores, so its
     * plain-Java path runs on all of them ({@link JavaOps} with one thread per compute unit) and its
     * matmul always takes that path: JavaOps' Vector API kernel beats the PoCL kernel at every size
     * here (KernelBench 1024³, one run: 122-209 against 91-107 GFLOP/s for the three forms; an
     * earlier one 280 against 114; training shapes, M = 128, by more). The choice depends on the
     * device type alone, so a run's bits do not depend on timings.
     */
    public static AparapiOps forDevice(OpenCLDevice device) {
        if (device.getType() == Device.TYPE.GPU) return new AparapiOps(device);
        return new AparapiOps(device, false, new JavaOps(Math.max(1, device.getMaxComputeUnits())), true, true);
    }

    public OpenCLDevice device() { return device; }

    @Override
    public String name() { return "opencl:" + device.getName().trim(); }

    /** Kernel launches so far. */
    public synchronized long launches() { return launches; }

    /**
     * Launches that did not run on the OpenCL device: Aparapi fell back to Java threads, or the
     * kernel failed to build and its op ran on the plain-Java path instead.
     */
    public synchronized long fallbackLaunches() { return fallbackLaunches; }

    // ================================================================ linear algebra

    @Override
    public synchronized void matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB, Tensor out) {
        Shapes.requireMatmul(a, transposeA, b, transposeB, out);
        int m = out.dim(0), n = out.dim(1), k = transposeA ? a.dim(0) : a.dim(1);
        if (out.size() == 0) return;
        String variant = (transposeA ? "T" : "") + "A·" + (transposeB ? "T" : "") + "B";
        if (k == 0) {
            fill(out, 0f);
            return;
        }
        long work = (long) m * n * k;
        // Element (i, p) of op(A) at a[i·aRow + p·aCol], element (p, j) of op(B) at b[p·bRow + j·bCol].
        int aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1, bRow = transposeB ? 1 : n, bCol = transposeB ? k : 1;
        if (gpu) {
            if (!onDevice("matmul " + variant, work, MATMUL_MIN, matmulTiledKernel, "opencl local-memory tiles 16x16")) {
                small.matmul(a, transposeA, b, transposeB, out);
                return;
            }
            MatmulTiledKernel t = matmulTiledKernel;
            t.a = a.data();
            t.b = b.data();
            t.c = out.data();
            t.m = m;
            t.k = k;
            t.n = n;
            t.aRow = aRow;
            t.aCol = aCol;
            t.bRow = bRow;
            t.bCol = bCol;
            int tile = MatmulTiledKernel.TILE;
            launch(t, Range.create2D(device, roundUp(n, tile), roundUp(m, tile), tile, tile));
            t.release();
            return;
        }
        if (hostMatmul) {
            choose("matmul " + variant, "java", "the host's Vector API kernel, faster than the PoCL kernel on a CPU device");
            small.matmul(a, transposeA, b, transposeB, out);
            return;
        }
        int nr = PackedMatmulKernel.NR;
        int tileCols = Math.min(CPU_MATMUL_TILE_COLS, roundUp(n, nr));
        int colTiles = ceilDiv(n, tileCols);
        int tileRows = CPU_MATMUL_TILE_ROWS;
        // Small products: thinner tiles, so that every core gets work-items.
        while (tileRows > 8 && (long) ceilDiv(m, tileRows) * colTiles < 4L * computeUnits) tileRows /= 2;
        int strips = ceilDiv(n, nr);
        int panels = ceilDiv(m, PackedMatmulKernel.MR);
        long packed = (long) strips * nr * k, packedA = (long) panels * PackedMatmulKernel.MR * k;
        if (strips * nr > 2 * n || packed > Integer.MAX_VALUE - 8 || packedA > Integer.MAX_VALUE - 8) {
            choose("matmul " + variant, "java", "plain Java: B packed in 16-column strips would be over twice its size (n < 9),"
                    + " or a packed operand too big for a Java array");
            small.matmul(a, transposeA, b, transposeB, out);
            return;
        }
        PackedMatmulKernel pk = packedMatmul;
        String shape = (packedMatmulSource ? "opencl packed-matmul.cl, 8x" + nr + " register blocks"
                : "opencl PackedMatmulKernel's Java body (packed-matmul.cl could not be injected)")
                + ", tiles " + tileRows + "x" + tileCols + " k-block " + CPU_MATMUL_K_BLOCK + ", B packed in " + nr
                + "-column strips" + (transposeB ? " (Bᵀ read through strides)" : "");
        if (!onDevice("matmul " + variant, work, MATMUL_MIN, pk, shape)) {
            small.matmul(a, transposeA, b, transposeB, out);
            return;
        }
        if (packScratch.length < packed) packScratch = new float[(int) packed];
        if (packScratchA.length < packedA) packScratchA = new float[(int) packedA];
        pk.a = a.data();
        pk.b = b.data();
        pk.bp = packScratch;
        pk.ap = packScratchA;
        pk.c = out.data();
        pk.m = m;
        pk.k = k;
        pk.n = n;
        pk.bRow = bRow;
        pk.bCol = bCol;
        pk.aRow = aRow;
        pk.aCol = aCol;
        pk.tileRows = tileRows;
        pk.tileCols = tileCols;
        pk.kBlock = CPU_MATMUL_K_BLOCK;
        pk.colTiles = colTiles;
        pk.op = PackedMatmulKernel.PACK;
        launch1D(pk, strips * ceilDiv(k, PackedMatmulKernel.PACK_ROWS));
        pk.op = PackedMatmulKernel.PACK_A;
        launch1D(pk, panels * ceilDiv(k, PackedMatmulKernel.PACK_ROWS));
        pk.op = PackedMatmulKernel.MATMUL;
        launch1D(pk, ceilDiv(m, tileRows) * colTiles);
        pk.release();
    }

    /** B packed in strips and A in panels, kept between calls: a fresh array is a fresh OpenCL buffer. */
    private float[] packScratch = new float[0], packScratchA = new float[0];

    @Override
    public synchronized void addBias(Tensor x, Tensor bias, Tensor out) {
        Shapes.requireBias(x, bias, out);
        if (out.size() == 0) return;
        if (!onDevice("addBias", out.size(), ELEMENTWISE_MIN, row, rowShape())) {
            small.addBias(x, bias, out);
            return;
        }
        row.bias = bias.data();
        row.out = out.data();
        launchRows(RowKernel.ADD_BIAS, x);
    }

    @Override
    public synchronized void sumRows(Tensor x, Tensor out) {
        Shapes.requireColumnSums(x, out);
        int rows = x.rows(), cols = x.cols();
        if (out.size() == 0) return;
        if (rows == 0) {
            java.util.Arrays.fill(out.data(), 0f);
            return;
        }
        int colChunk = gpu ? 1 : Math.min(cols, 1024);
        int colChunks = ceilDiv(cols, colChunk);
        int rowBlocks = gpu ? Math.max(1, Math.min(rows, GPU_REDUCE_ITEMS / colChunks))
                : Math.max(1, Math.min(rows, ceilDiv(4 * computeUnits, colChunks)));
        int rowBlock = ceilDiv(rows, rowBlocks);
        rowBlocks = ceilDiv(rows, rowBlock);
        if (!onDevice("sumRows", x.size(), SUM_ROWS_MIN, reduce,
                "opencl " + colChunk + "-column chunks x row blocks, partials added in double")) {
            small.sumRows(x, out);
            return;
        }
        float[] partial = new float[rowBlocks * cols];
        reduce.setSumRows(x.data(), rows, cols, partial, rowBlock, colChunk);
        launch1D(reduce, rowBlocks * colChunks);
        reduce.release();
        float[] o = out.data();
        for (int c = 0; c < cols; c++) {
            double s = 0;
            for (int rb = 0; rb < rowBlocks; rb++) s += partial[rb * cols + c];
            o[c] = (float) s;
        }
    }

    @Override
    public synchronized void outerAccumulate(float alpha, Tensor x, Tensor y, Tensor a) {
        if (a.rank() != 2 || a.dim(0) != x.size() || a.dim(1) != y.size()) {
            throw new IllegalArgumentException("outerAccumulate needs a [" + x.size() + "," + y.size() + "], got "
                    + java.util.Arrays.toString(a.shape()));
        }
        if (a.data() == x.data() || a.data() == y.data()) {
            throw new IllegalArgumentException("outerAccumulate: a must not alias x or y");
        }
        int m = x.size(), n = y.size();
        if (a.size() == 0) return;
        int tileCols = gpu ? 1 : Math.min(CPU_CHUNK, n);
        int tileRows = gpu ? 1 : Math.max(1, Math.min(m, CPU_CHUNK / tileCols));
        if (!onDevice("outerAccumulate", a.size(), ELEMENTWISE_MIN, outer,
                "opencl tiles " + tileRows + "x" + tileCols)) {
            small.outerAccumulate(alpha, x, y, a);
            return;
        }
        OuterKernel rank1 = outer;
        rank1.a = x.data();
        rank1.b = y.data();
        rank1.c = a.data();
        rank1.m = m;
        rank1.n = n;
        rank1.alpha = alpha;
        rank1.tileRows = tileRows;
        rank1.tileCols = tileCols;
        rank1.colTiles = ceilDiv(n, tileCols);
        launch1D(rank1, ceilDiv(m, tileRows) * rank1.colTiles);
        rank1.release();
    }

    // ================================================================ elementwise

    @Override
    public synchronized void add(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        if (elementwise("add", ElementwiseKernel.ADD, a, b, 0f, 0f, out)) return;
        small.add(a, b, out);
    }

    @Override
    public synchronized void sub(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        if (elementwise("sub", ElementwiseKernel.SUB, a, b, 0f, 0f, out)) return;
        small.sub(a, b, out);
    }

    @Override
    public synchronized void mul(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        if (elementwise("mul", ElementwiseKernel.MUL, a, b, 0f, 0f, out)) return;
        small.mul(a, b, out);
    }

    @Override
    public synchronized void scale(Tensor a, float s, Tensor out) {
        Shapes.requireSame(a, out);
        if (elementwise("scale", ElementwiseKernel.SCALE, a, a, s, 0f, out)) return;
        small.scale(a, s, out);
    }

    @Override
    public synchronized void axpy(float alpha, Tensor x, Tensor y) {
        Shapes.requireSame(x, y);
        if (elementwise("axpy", ElementwiseKernel.AXPY, x, x, alpha, 0f, y)) return;
        small.axpy(alpha, x, y);
    }

    @Override
    public synchronized void clamp(Tensor a, float lo, float hi, Tensor out) {
        Shapes.requireSame(a, out);
        if (elementwise("clamp", ElementwiseKernel.CLAMP, a, a, lo, hi, out)) return;
        small.clamp(a, lo, hi, out);
    }

    @Override
    public synchronized void sign(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        if (elementwise("sign", ElementwiseKernel.SIGN, a, a, 0f, 0f, out)) return;
        small.sign(a, out);
    }

    @Override
    public synchronized void abs(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        if (elementwise("abs", ElementwiseKernel.ABS, a, a, 0f, 0f, out)) return;
        small.abs(a, out);
    }

    @Override
    public synchronized void relu(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        if (elementwise("relu", ElementwiseKernel.RELU, a, a, 0f, 0f, out)) return;
        small.relu(a, out);
    }

    @Override
    public synchronized void reluBackward(Tensor x, Tensor gradOut, Tensor gradIn) {
        Shapes.requireSame(x, gradOut, gradIn);
        if (elementwise("reluBackward", ElementwiseKernel.RELU_BACKWARD, x, gradOut, 0f, 0f, gradIn)) return;
        small.reluBackward(x, gradOut, gradIn);
    }

    @Override
    public synchronized void gelu(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        if (elementwise("gelu", ElementwiseKernel.GELU, a, a, 0f, 0f, out)) return;
        small.gelu(a, out);
    }

    @Override
    public synchronized void geluBackward(Tensor x, Tensor gradOut, Tensor gradIn) {
        Shapes.requireSame(x, gradOut, gradIn);
        if (elementwise("geluBackward", ElementwiseKernel.GELU_BACKWARD, x, gradOut, 0f, 0f, gradIn)) return;
        small.geluBackward(x, gradOut, gradIn);
    }

    @Override
    public synchronized void fill(Tensor out, float value) {
        if (elementwise("fill", ElementwiseKernel.FILL, out, out, value, 0f, out)) return;
        small.fill(out, value);
    }

    @Override
    public synchronized void copy(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        if (a.data() == out.data()) return;
        if (elementwise("copy", ElementwiseKernel.COPY, a, a, 0f, 0f, out)) return;
        small.copy(a, out);
    }

    @Override
    public synchronized void maskAtLeast(Tensor a, float threshold, Tensor mask) {
        Shapes.requireSame(a, mask);
        if (elementwise("maskAtLeast", ElementwiseKernel.MASK_AT_LEAST, a, a, threshold, 0f, mask)) return;
        small.maskAtLeast(a, threshold, mask);
    }

    /** Runs an elementwise op on the device when it is big enough; false: the caller runs it in Java. */
    private boolean elementwise(String op, int code, Tensor a, Tensor b, float s, float t, Tensor out) {
        int n = out.size();
        if (n == 0) return true;
        int threshold = code == ElementwiseKernel.GELU || code == ElementwiseKernel.GELU_BACKWARD ? GELU_MIN : ELEMENTWISE_MIN;
        if (!onDevice(op, n, threshold, elementwise, streamShape())) return false;
        int chunk = gpu ? 1 : CPU_CHUNK;
        elementwise.set(code, a.data(), b.data(), s, t, out.data(), chunk);
        launch1D(elementwise, ceilDiv(n, chunk));
        elementwise.release();
        return true;
    }

    // ================================================================ casts

    @Override
    public synchronized void encodeHalf(Tensor a, HalfType type, short[] out, int offset) {
        Objects.requireNonNull(type, "type");
        Shapes.requireHalfRange(a.size(), out, offset);
        if (a.size() == 0) return;
        if (!onDevice("encodeHalf " + type, a.size(), castMin(type), cast, streamShape())) {
            small.encodeHalf(a, type, out, offset);
            return;
        }
        castLaunch(type == HalfType.F16 ? CastKernel.ENCODE_F16 : CastKernel.ENCODE_BF16, a.data(), out, offset);
    }

    @Override
    public synchronized void decodeHalf(short[] in, int offset, HalfType type, Tensor out) {
        Objects.requireNonNull(type, "type");
        Shapes.requireHalfRange(out.size(), in, offset);
        if (out.size() == 0) return;
        if (!onDevice("decodeHalf " + type, out.size(), castMin(type), cast, streamShape())) {
            small.decodeHalf(in, offset, type, out);
            return;
        }
        castLaunch(type == HalfType.F16 ? CastKernel.DECODE_F16 : CastKernel.DECODE_BF16, out.data(), in, offset);
    }

    static int castMin(HalfType type) {
        return type == HalfType.F16 ? CAST_F16_MIN : CAST_BF16_MIN;
    }

    private void castLaunch(int code, float[] floats, short[] halves, int offset) {
        int chunk = gpu ? 1 : CPU_CHUNK;
        cast.set(code, floats, halves, offset, chunk);
        launch1D(cast, ceilDiv(floats.length, chunk));
        cast.release();
    }

    // ================================================================ reductions

    @Override
    public synchronized double sum(Tensor a) {
        if (a.size() == 0) return 0;
        if (!onDevice("sum", a.size(), REDUCE_MIN, reductions(), reduceShape())) return small.sum(a);
        return sumOfPartials(reducePartials(ReduceKernel.SUM, a, a));
    }

    @Override
    public synchronized double norm1(Tensor a) {
        if (a.size() == 0) return 0;
        if (!onDevice("norm1", a.size(), REDUCE_MIN, reductions(), reduceShape())) return small.norm1(a);
        return sumOfPartials(reducePartials(ReduceKernel.SUM_ABS, a, a));
    }

    @Override
    public synchronized double norm2(Tensor a) {
        if (a.size() == 0) return 0;
        if (!onDevice("norm2", a.size(), REDUCE_MIN, reductions(), reduceShape())) return small.norm2(a);
        return Math.sqrt(sumOfPartials(reducePartials(ReduceKernel.SUM_SQUARES, a, a)));
    }

    @Override
    public synchronized double dot(Tensor a, Tensor b) {
        Shapes.requireSame(a, b);
        if (a.size() == 0) return 0;
        if (!onDevice("dot", a.size(), REDUCE_MIN, reductions(), reduceShape())) return small.dot(a, b);
        return sumOfPartials(reducePartials(ReduceKernel.DOT, a, b));
    }

    @Override
    public synchronized float max(Tensor a) {
        if (a.size() == 0) return Float.NEGATIVE_INFINITY;
        if (!onDevice("max", a.size(), MAX_MIN, reductions(), reduceShape())) return small.max(a);
        float m = Float.NEGATIVE_INFINITY;
        for (float p : reducePartials(ReduceKernel.MAX, a, a)) m = Math.max(m, p);
        return m;
    }

    /** The kernel of sum, norm1, norm2, dot and max on this device type. */
    private Kernel reductions() {
        return gpu ? reduce : reduceCpu;
    }

    private float[] reducePartials(int code, Tensor a, Tensor b) {
        int n = a.size();
        int items = gpu ? Math.min(roundUp(n, groupSize), GPU_REDUCE_ITEMS) : ceilDiv(n, CPU_REDUCE_CHUNK);
        float[] partial = new float[items];
        if (gpu) {
            reduce.set(code, a.data(), b.data(), partial, items);
            launch1D(reduce, items);
            reduce.release();
        } else {
            reduceCpu.set(code, a.data(), b.data(), partial, CPU_REDUCE_CHUNK);
            launch1D(reduceCpu, items);
            reduceCpu.release();
        }
        return partial;
    }

    private static double sumOfPartials(float[] partial) {
        double s = 0;
        for (float p : partial) s += p;
        return s;
    }

    // ================================================================ row ops

    @Override
    public synchronized void argmaxRows(Tensor a, int[] out) {
        Shapes.requireRowOutput(a, out);
        if (out.length == 0) return;
        if (a.cols() == 0) throw new IllegalArgumentException("argmaxRows of rows with no columns: " + a);
        if (!onDevice("argmaxRows", a.size(), ARGMAX_MIN, row, rowShape())) {
            small.argmaxRows(a, out);
            return;
        }
        row.index = out;
        launchRows(RowKernel.ARGMAX, a);
    }

    @Override
    public synchronized void softmaxRows(Tensor a, Tensor out) {
        Shapes.requireSame(a, out);
        if (a.size() == 0) return;
        if (!onDevice("softmaxRows", a.size(), SOFTMAX_MIN, row, rowShape())) {
            small.softmaxRows(a, out);
            return;
        }
        row.out = out.data();
        launchRows(RowKernel.SOFTMAX, a);
    }

    @Override
    public synchronized double softmaxCrossEntropy(Tensor logits, int[] labels, Tensor grad) {
        Shapes.requireLabels(logits, labels, grad);
        int rows = logits.rows();
        if (rows == 0) return Double.NaN;
        if (!onDevice("softmaxCrossEntropy", logits.size(), SOFTMAX_MIN, row, rowShape())) {
            return small.softmaxCrossEntropy(logits, labels, grad);
        }
        float[] loss = new float[rows];
        row.labels = labels;
        row.loss = loss;
        row.withGrad = grad == null ? 0 : 1;
        row.out = grad == null ? new float[1] : grad.data();
        row.gradScale = 1f / rows;
        launchRows(RowKernel.CROSS_ENTROPY, logits);
        return sumOfPartials(loss) / rows;
    }

    @Override
    public synchronized void rowTopkMask(Tensor a, int k, Tensor mask) {
        Shapes.requireSame(a, mask);
        if (k < 0) throw new IllegalArgumentException("rowTopkMask needs k >= 0, got " + k);
        if (a.size() == 0) return;
        if (k == 0 || k >= a.cols()) {
            fill(mask, k == 0 ? 0f : 1f);
            return;
        }
        if (!onDevice("rowTopkMask", a.size(), ROW_TOPK_MIN, row, rowShape() + ", radix select 8+8+8+7 bits")) {
            small.rowTopkMask(a, k, mask);
            return;
        }
        row.out = mask.data();
        row.k = k;
        row.hist = new int[256 * rowItems(a)];
        launchRows(RowKernel.ROW_TOPK, a);
    }

    private int rowsPerItem(Tensor a) {
        return gpu ? 1 : Math.max(1, CPU_ROW_WORK / Math.max(1, a.cols()));
    }

    private int rowItems(Tensor a) {
        return ceilDiv(a.rows(), rowsPerItem(a));
    }

    private void launchRows(int code, Tensor a) {
        row.set(code, a.data(), a.rows(), a.cols(), rowsPerItem(a));
        launch1D(row, rowItems(a));
        row.release();
    }

    // ================================================================ optimizers

    @Override
    public synchronized void sgdMomentum(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum,
                                         float weightDecay, boolean nesterov) {
        Shapes.requireSame(param, grad, velocity);
        if (param.size() == 0) return;
        if (!onDevice("sgdMomentum", param.size(), OPTIMIZER_MIN, optimizer, streamShape())) {
            small.sgdMomentum(param, grad, velocity, lr, momentum, weightDecay, nesterov);
            return;
        }
        OptimizerKernel o = optimizer;
        o.op = OptimizerKernel.SGD;
        o.param = param.data();
        o.grad = grad.data();
        o.m = velocity.data();
        o.lr = lr;
        o.momentum = momentum;
        o.weightDecay = weightDecay;
        o.nesterov = nesterov ? 1 : 0;
        launchOptimizer(param.size());
    }

    @Override
    public synchronized void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                                   float eps, float weightDecay, int step) {
        Shapes.requireSame(param, grad, m);
        Shapes.requireSame(param, v);
        if (step < 1) throw new IllegalArgumentException("adamW step counts from 1, got " + step);
        if (param.size() == 0) return;
        if (!onDevice("adamW", param.size(), OPTIMIZER_MIN, optimizer, streamShape())) {
            small.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
            return;
        }
        OptimizerKernel o = optimizer;
        o.op = OptimizerKernel.ADAMW;
        o.param = param.data();
        o.grad = grad.data();
        o.m = m.data();
        o.v = v.data();
        o.lr = lr;
        o.beta1 = beta1;
        o.beta2 = beta2;
        o.eps = eps;
        o.weightDecay = weightDecay;
        o.biasCorrection1 = (float) (1 - Math.pow(beta1, step));
        o.biasCorrection2 = (float) (1 - Math.pow(beta2, step));
        launchOptimizer(param.size());
    }

    private void launchOptimizer(int n) {
        int chunk = gpu ? 1 : CPU_CHUNK;
        optimizer.n = n;
        optimizer.chunk = chunk;
        launch1D(optimizer, ceilDiv(n, chunk));
        optimizer.release();
    }

    // ================================================================ merging

    @Override
    public synchronized float topkThreshold(Tensor a, long k) {
        if (k < 0) throw new IllegalArgumentException("topkThreshold needs k >= 0, got " + k);
        int n = a.size();
        if (k == 0) return Float.POSITIVE_INFINITY;
        if (k >= n) return 0f;
        // A CPU needs both kernels: the bracket pass, and the histograms when its candidates are many.
        if (!onDevice("topkThreshold", n, TOPK_MIN, gpu ? topk : bracket, gpu ? "opencl radix select, atomic histograms, 11+10+10-bit digits"
                : "opencl sampled bracket, one pass counting and gathering the bracket, select among the candidates")
                || !gpu && !built(topk)) {
            return small.topkThreshold(a, k);
        }
        TopkKernel t = topk;
        int result;
        if (gpu) {
            t.a = a.data();
            t.n = n;
            t.fromBits = 0;
            result = radixSelect(t, n, k);
        } else {
            result = bracketSelect(t, a.data(), n, k);
        }
        t.release();
        bracket.release();
        return Float.intBitsToFloat(result);
    }

    /**
     * The k-th largest of the bits v of |a| on a CPU, in one pass over a: a sample of a brackets
     * the answer; one pass counts the elements above the bracket and copies those inside it (a few
     * per cent of a) to a candidates array sized from the sample; the answer is selected among
     * them. An unlucky sample, a bracket too wide, or too many candidates take radix passes over
     * all of a instead. Exact either way. (Counting sub-buckets first and gathering only one of
     * them took two passes over a: on 50 M floats ~60 % of the time went to the second.)
     */
    private int bracketSelect(TopkKernel t, float[] data, int n, long k) {
        int chunk = Math.min(CPU_TOPK_CHUNK, Math.max(1 << 16, roundUp(ceilDiv(n, 8 * computeUnits), 16)));
        int items = ceilDiv(n, chunk);
        // The sample: one element from each of m equal strata, jittered by a fixed hash, sorted.
        int m = topkSamples(n);
        int[] sample = new int[m];
        for (int j = 0; j < m; j++) sample[j] = Float.floatToRawIntBits(data[samplePosition(j, n, m)]) & 0x7FFFFFFF;
        java.util.Arrays.sort(sample);
        // The k-th largest of a sits near the (k·m/n)-th largest of the sample: ±4 standard
        // deviations of that rank, and two samples more, make the bracket [lo, hi].
        double p = (double) k / n, rank = p * m, margin = 4 * Math.sqrt(m * p * (1 - p)) + 2;
        long upper = (long) Math.floor(rank - margin), lower = (long) Math.ceil(rank + margin);
        int iHi = upper < 1 ? -1 : (int) (m - upper), iLo = lower > m ? -1 : (int) (m - lower);
        int hi = iHi < 0 ? Integer.MAX_VALUE : sample[iHi];
        int lo = iLo < 0 ? 0 : sample[iLo];
        // Slots: 1.5 times the candidates the sample predicts (the strata make that estimate
        // good whatever the layout of a), a spare per sub-chunk, and some slack.
        double share = (double) ((iHi < 0 ? m - 1 : iHi) - Math.max(0, iLo) + 1) / m;
        long cap = lo == hi ? 1 : (long) (topkSlots * share * n) + ceilDiv(n, TopkBracketKernel.SUB) + items + 1024;
        if (cap <= n / 4) {
            int[] counts = new int[3 * items];
            int[] fill = new int[1];
            if (topkCandidates.length < cap) topkCandidates = new int[(int) cap];
            int[] candidates = topkCandidates;
            TopkBracketKernel b = bracket;
            b.a = data;
            b.n = n;
            b.chunk = chunk;
            b.counts = counts;
            b.fill = fill;
            b.bits = candidates;
            b.cap = (int) cap;
            b.lo = lo;
            b.hi = hi;
            launch1D(b, items);
            long found = 0, above = 0, lost = 0;
            for (int w = 0; w < items; w++) {
                found += counts[3 * w];
                above += counts[3 * w + 1];
                lost += counts[3 * w + 2];
            }
            if (above < k && k <= above + found && lo == hi) return lo; // one value: counting is enough
            if (above < k && k <= above + found && lost == 0) {
                long need = k - above;
                int total = fill[0];
                if (total < TOPK_CANDIDATES_MIN) {
                    choose("topkThreshold", "opencl", "bracket candidates selected in plain Java");
                    return HostSteps.kthLargest(candidates, total, need);
                }
                choose("topkThreshold", "opencl", "bracket candidates selected by radix passes on the device");
                t.fromBits = 1;
                t.bits = candidates;
                t.n = total;
                t.chunk = Math.max(1 << 16, ceilDiv(total, 4 * computeUnits));
                int common = Integer.numberOfLeadingZeros(lo ^ hi);
                return radixSelect(t, total, need, lo >>> (32 - common), common);
            }
        }
        choose("topkThreshold", "opencl", "radix passes over all elements (the sampled bracket missed or was too full)");
        t.a = data;
        t.fromBits = 0;
        t.n = n;
        t.chunk = chunk;
        return radixSelect(t, n, k);
    }

    /** Top-k candidate slots, kept between calls (a fresh array is a fresh OpenCL buffer, and MBs to zero). */
    private int[] topkCandidates = new int[0];

    /** The sample size for n elements: 1/64 of them, at least 1024 and at most {@link #TOPK_SAMPLES}. */
    static int topkSamples(int n) {
        return Math.min(n, Math.min(TOPK_SAMPLES, Math.max(1024, n >> 6)));
    }

    /** Sample j of m from n elements: one per stratum of n/m, at a position a fixed hash picks. */
    static int samplePosition(int j, int n, int m) {
        long from = (long) j * n / m, width = (long) (j + 1) * n / m - from;
        return (int) (from + ((j * 0x9E3779B97F4A7C15L) >>> 1) % width);
    }

    /**
     * The k-th largest value (1 ≤ k ≤ n) of t's source by radix select: histogram passes of at most
     * 11 bits each (11 + 10 + 10 over all 31 bits), each over the values whose higher bits match
     * the digits chosen so far.
     */
    private int radixSelect(TopkKernel t, int n, long k) {
        return radixSelect(t, n, k, 0, 1);
    }

    /**
     * As {@link #radixSelect(TopkKernel, int, long)}, when every value counted has {@code known} as
     * its top {@code knownBits} bits: only the bits below are selected (bracket candidates share
     * a long prefix, which saves a pass).
     */
    private int radixSelect(TopkKernel t, int n, long k, int known, int knownBits) {
        int items = gpu ? Math.min(roundUp(n, groupSize), GPU_REDUCE_ITEMS) : ceilDiv(n, t.chunk);
        t.atomic = gpu ? 1 : 0;
        t.stride = items;
        int prefix = known;
        int shift = 32 - knownBits;
        long need = k;
        while (shift > 0) {
            int width = ceilDiv(shift, ceilDiv(shift, 11));
            // The values that still count: those whose bits above shift are the chosen prefix.
            long lo = (long) prefix << shift, hi = lo | ((1L << shift) - 1);
            shift -= width;
            int bins = 1 << width;
            int histograms = gpu ? 1 : items * TopkKernel.WAYS;
            int[] hist = new int[histograms * bins];
            t.hist = hist;
            t.bins = bins;
            t.shift = shift;
            t.lo = (int) lo;
            t.hi = (int) hi;
            launch1D(t, items);
            // The host adds the histograms and scans the bins from the top digit down.
            long[] total = new long[bins];
            for (int h = 0; h < histograms; h++) {
                for (int d = 0; d < bins; d++) total[d] += hist[h * bins + d];
            }
            int digit = bins - 1;
            while (total[digit] < need) need -= total[digit--];
            prefix = (prefix << width) | digit;
        }
        return prefix;
    }

    @Override
    public synchronized void electSign(Tensor[] xs, SignElection mode, Tensor out) {
        Objects.requireNonNull(mode, "mode");
        requireTaskVectors(xs, out);
        if (out.size() == 0) return;
        if (!onDevice("electSign " + mode, (long) out.size() * xs.length, MERGE_MIN, merge, mergeShape(xs.length))) {
            small.electSign(xs, mode, out);
            return;
        }
        mergeLaunches(mode == SignElection.SUM ? MergeKernel.ELECT_SUM : MergeKernel.ELECT_COUNT, xs, null, false, out);
    }

    @Override
    public synchronized void disjointMerge(Tensor[] xs, Tensor sign, boolean mean, Tensor out) {
        requireTaskVectors(xs, out);
        Shapes.requireSame(sign, out);
        if (out.size() == 0) return;
        if (!onDevice("disjointMerge", (long) out.size() * xs.length, MERGE_MIN, merge, mergeShape(xs.length))) {
            small.disjointMerge(xs, sign, mean, out);
            return;
        }
        mergeLaunches(MergeKernel.DISJOINT, xs, sign, mean, out);
    }

    private static void requireTaskVectors(Tensor[] xs, Tensor out) {
        Shapes.requireMerge(xs, out);
    }

    /** One launch for up to eight task vectors; more take a launch per eight, carrying sums in scratch. */
    private void mergeLaunches(int code, Tensor[] xs, Tensor sign, boolean mean, Tensor out) {
        int n = out.size();
        int chunk = gpu ? 1 : CPU_CHUNK;
        float[][] data = new float[xs.length][];
        for (int j = 0; j < xs.length; j++) data[j] = xs[j].data();
        MergeKernel mk = merge;
        mk.op = code;
        mk.n = n;
        mk.chunk = chunk;
        mk.mean = mean ? 1 : 0;
        mk.sign = sign == null ? data[0] : sign.data();
        mk.out = out.data();
        boolean multi = xs.length > MergeKernel.SLOTS;
        float[] acc = multi ? new float[n] : data[0];
        float[] cnt = multi ? new float[n] : acc;
        for (int from = 0; from < xs.length; from += MergeKernel.SLOTS) {
            mk.setSlots(data, from);
            mk.acc = acc;
            mk.cnt = cnt;
            launch1D(mk, ceilDiv(n, chunk));
        }
        mk.release();
    }

    @Override
    public synchronized void dropAndRescale(Tensor a, float p, long seed, long stream, long offset, Tensor out) {
        Shapes.requireSame(a, out);
        Shapes.requireProbability(p);
        Shapes.requireDrawOffset(offset, out.size());
        if (out.size() == 0) return;
        // The kernel evaluates whole Philox blocks of 4: an offset off that grid runs in plain Java.
        if (offset % 4 != 0 || !onDevice("dropAndRescale", out.size(), RANDOM_MIN, merge, streamShape() + ", Philox in-kernel")) {
            small.dropAndRescale(a, p, seed, stream, offset, out);
            return;
        }
        MergeKernel mk = merge;
        int chunk = gpu ? 4 : CPU_CHUNK; // whole Philox blocks per work-item
        mk.op = MergeKernel.DROP;
        mk.x0 = a.data();
        mk.out = out.data();
        mk.n = out.size();
        mk.chunk = chunk;
        mk.threshold = HostSteps.dropThreshold(p);
        mk.scale = 1f / (1f - p);
        mk.setKey(seed, stream);
        mk.counterBase = (int) (offset >>> 2);
        try {
            launch1D(mk, ceilDiv(out.size(), chunk));
        } finally {
            mk.counterBase = 0;
        }
        mk.release();
    }

    @Override
    public synchronized void slerp(Tensor a, Tensor b, float t, Tensor out) {
        Shapes.requireSame(a, b, out);
        if (out.size() == 0) return;
        double[] s = HostSteps.squaresAndDot(a.data(), b.data()), c = TensorOps.slerpWeights(s[0], s[1], s[2], t);
        if (!elementwise("slerp", ElementwiseKernel.LINCOMB, a, b, (float) c[0], (float) c[1], out)) {
            float ca = (float) c[0], cb = (float) c[1];
            float[] x = a.data(), y = b.data(), o = out.data();
            for (int i = 0; i < o.length; i++) o[i] = ca * x[i] + cb * y[i];
        }
    }

    // ================================================================ random

    @Override
    public synchronized void uniform(long seed, long stream, long offset, float lo, float hi, Tensor out) {
        Shapes.requireRange(lo, hi);
        Shapes.requireDrawOffset(offset, out.size());
        if (out.size() == 0) return;
        // The kernel evaluates whole Philox blocks of 4: an offset off that grid runs in plain Java.
        if (offset % 4 != 0 || !onDevice("uniform", out.size(), RANDOM_MIN, random, streamShape() + ", Philox in-kernel")) {
            small.uniform(seed, stream, offset, lo, hi, out);
            return;
        }
        RandomKernel r = random;
        int chunk = gpu ? 4 : CPU_CHUNK; // whole Philox blocks per work-item
        r.out = out.data();
        r.n = out.size();
        r.chunk = chunk;
        r.width = hi - lo;
        r.lo = lo;
        r.cap = Math.nextDown(hi);
        r.setKey(seed, stream);
        r.counterBase = (int) (offset >>> 2);
        try {
            launch1D(r, ceilDiv(out.size(), chunk));
        } finally {
            r.counterBase = 0;
        }
        r.release();
    }

    /**
     * Normal draws are computed in Java on every backend (OpenCL's log/cos/sqrt are not correctly
     * rounded, so a kernel could not be exact): this hands the op to the plain-Java backend.
     */
    @Override
    public void normal(long seed, long stream, float mean, float std, Tensor out) {
        TensorOps java;
        synchronized (this) {
            if (javaBackend == null) javaBackend = new JavaOps(1);
            java = javaBackend;
        }
        choose("normal", "java", "Box-Muller in Java by design");
        java.normal(seed, stream, mean, std, out);
    }

    // ================================================================ dispatch and launches

    private String streamShape() {
        return gpu ? "opencl one element per work-item, groups of " + groupSize
                : "opencl " + CPU_CHUNK + " elements per work-item, work-group size 1";
    }

    private String reduceShape() {
        return gpu ? "opencl " + GPU_REDUCE_ITEMS + " strided work-items, partials added in double"
                : "opencl " + (reduceCpuSource ? "reduce-cpu.cl" : "ReduceCpuKernel's Java body (reduce-cpu.cl could not be injected)")
                        + ", " + CPU_REDUCE_CHUNK + " elements per work-item, partials added in double";
    }

    private String rowShape() {
        return gpu ? "opencl one row per work-item" : "opencl ~" + CPU_ROW_WORK + " elements of whole rows per work-item";
    }

    private String mergeShape(int k) {
        return streamShape() + (k > MergeKernel.SLOTS ? ", " + ceilDiv(k, MergeKernel.SLOTS)
                + " launches of 8 task vectors" : ", one launch of " + k + " task vectors");
    }

    /**
     * Whether {@code op} runs on the device: its work is at least {@code threshold} and its kernel
     * builds. Logs the choice once per op and variant.
     */
    private boolean onDevice(String op, long work, long threshold, Kernel kernel, String variant) {
        if (work < threshold && !ignoreThresholds) {
            choose(op, "java", "plain Java below " + threshold + " (work " + work + ")");
            return false;
        }
        if (!built(kernel)) {
            fallbackLaunches++;
            choose(op, "java", "plain Java: " + kernel.getClass().getSimpleName() + " failed to build on " + name());
            return false;
        }
        choose(op, "opencl", variant + " on " + name());
        return true;
    }

    private void choose(String op, String path, String detail) {
        String key = op + " | " + path + " | " + detail;
        synchronized (logged) {
            if (!logged.add(key)) return;
        }
        LOG.fine(() -> op + ": " + detail);
    }

    /** Compiles the kernel for the device on first use; false when its OpenCL build fails. */
    private boolean built(Kernel kernel) {
        Boolean ok = built.get(kernel);
        if (ok == null) {
            try {
                kernel.compile(device);
                ok = true;
            } catch (CompileFailedException | RuntimeException e) {
                ok = false;
                LOG.log(Level.WARNING, kernel.getClass().getSimpleName() + " failed to build on " + name()
                        + "; its ops run in plain Java", e);
            }
            built.put(kernel, ok);
        }
        return ok;
    }

    /**
     * {@code items} work-items in groups of {@link #groupSize}: 1 on a CPU, so that each work-item is
     * a PoCL thread running its loops; on a GPU rounded up to whole groups (kernels skip the extra).
     */
    private void launch1D(Kernel kernel, int items) {
        launch(kernel, Range.create(device, roundUp(items, groupSize), groupSize));
    }

    private void launch(Kernel kernel, Range range) {
        kernel.execute(range);
        ran.add(kernel);
        launches++;
        if (!kernel.isRunningCL()) {
            if (fallbackLaunches++ == 0) {
                LOG.warning(kernel.getClass().getSimpleName() + " did not run on " + name()
                        + ": Aparapi fell back to Java threads (OpenCL launch failed)");
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }

    @Override
    public synchronized void close() {
        // dispose() crashes the JVM on a kernel whose OpenCL build failed (DESIGN.md) and on one
        // that was built but never launched (Aparapi 3.0.2's JNIContext::dispose): dispose only
        // kernels that ran, and none after a launch fell back.
        if (fallbackLaunches == 0) {
            for (Kernel k : ran) k.dispose();
        }
        built.clear();
        ran.clear();
        if (javaBackend != null) javaBackend.close();
        if (ownsSmall) small.close();
    }
}
