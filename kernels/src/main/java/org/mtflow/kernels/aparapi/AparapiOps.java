package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import java.util.logging.Logger;
import org.mtflow.kernels.Shapes;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;

/**
 * The OpenCL backend: Aparapi kernels run on one OpenCL device. Aparapi silently falls back to its
 * Java thread pool when a kernel fails to build; every launch checks {@link Kernel#isRunningCL()}
 * so that a fallback is seen (logged, and counted in {@link #fallbackLaunches()}).
 */
public final class AparapiOps implements TensorOps {
    private static final Logger LOG = Logger.getLogger(AparapiOps.class.getName());

    private final OpenCLDevice device;
    private final MatmulKernel matmul = new MatmulKernel();
    private final ElementwiseKernel elementwise = new ElementwiseKernel();
    private final ReduceKernel reduce = new ReduceKernel();
    private long launches;
    private long fallbackLaunches;

    public AparapiOps(OpenCLDevice device) {
        this.device = device;
    }

    public OpenCLDevice device() { return device; }

    @Override
    public String name() { return "opencl:" + device.getName().trim(); }

    /** Kernel launches so far. */
    public synchronized long launches() { return launches; }

    /** Launches that did not run on the OpenCL device (Aparapi fell back to Java threads). */
    public synchronized long fallbackLaunches() { return fallbackLaunches; }

    @Override
    public synchronized void matmul(Tensor a, Tensor b, Tensor out) {
        Shapes.requireMatmul(a, b, out);
        if (out.size() == 0) return;
        matmul.set(a.data(), b.data(), out.data(), a.dim(0), a.dim(1), b.dim(1));
        launch(matmul, matmul.workItems());
    }

    @Override
    public synchronized void add(Tensor a, Tensor b, Tensor out) {
        Shapes.requireSame(a, b, out);
        if (out.size() == 0) return;
        elementwise.set(ElementwiseKernel.ADD, a.data(), b.data(), 0f, out.data());
        launch(elementwise, elementwise.workItems());
    }

    @Override
    public synchronized void scale(Tensor a, float s, Tensor out) {
        Shapes.requireSame(a, out);
        if (out.size() == 0) return;
        elementwise.set(ElementwiseKernel.SCALE, a.data(), a.data(), s, out.data());
        launch(elementwise, elementwise.workItems());
    }

    @Override
    public synchronized double sum(Tensor a) {
        if (a.size() == 0) return 0;
        float[] partial = new float[ReduceKernel.workItems(a.size())];
        reduce.set(a.data(), partial);
        launch(reduce, partial.length);
        double total = 0;
        for (float p : partial) total += p;
        return total;
    }

    private void launch(Kernel kernel, int workItems) {
        // Work-group size 1: each work-item is a CPU thread on PoCL running a vectorizable loop.
        kernel.execute(Range.create(device, workItems, 1));
        launches++;
        if (!kernel.isRunningCL()) {
            if (fallbackLaunches++ == 0) {
                LOG.warning(kernel.getClass().getSimpleName() + " did not run on " + name()
                        + ": Aparapi fell back to Java threads (OpenCL build or launch failed)");
            }
        }
    }

    @Override
    public synchronized void close() {
        // dispose() on a kernel whose OpenCL build failed crashes the JVM (DESIGN.md): only dispose
        // kernels that never fell back.
        if (fallbackLaunches == 0) {
            matmul.dispose();
            elementwise.dispose();
            reduce.dispose();
        }
    }
}
