import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLPlatform;
import java.util.List;
import java.util.Locale;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.aparapi.AparapiOps;

/**
 * gpu-check diagnostics: the OpenCL platforms and devices Aparapi sees, mtflow's device ids, and
 * one real kernel launch (an add of 4Mi floats, above the plain-Java threshold) on the first OpenCL
 * device, checked against the host sum. Exit 0 when a launch ran on OpenCL and was right, 3 when
 * there is no OpenCL device, 4 when the launch fell back or was wrong.
 */
public final class GpuProbe {
    public static void main(String[] args) {
        System.out.println("probe: java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, max heap " + Runtime.getRuntime().maxMemory() / (1L << 20) + " MiB");
        List<OpenCLPlatform> platforms;
        try {
            platforms = new OpenCLPlatform().getOpenCLPlatforms();
        } catch (Throwable t) {
            System.out.println("probe: OpenCL platforms: FAILED " + t);
            t.printStackTrace(System.out);
            System.exit(3);
            return;
        }
        System.out.println("probe: " + platforms.size() + " OpenCL platform(s)");
        for (OpenCLPlatform p : platforms) {
            System.out.println("probe: platform '" + p.getName() + "' vendor '" + p.getVendor() + "' version '" + p.getVersion() + "'");
            for (OpenCLDevice d : p.getOpenCLDevices()) {
                System.out.printf(Locale.ROOT, "probe:   device %-4s '%s' compute units %d, global mem %.1f GiB, max alloc %.1f GiB, local mem %d KiB, max work-group %d%n",
                        d.getType(), d.getName().trim(), d.getMaxComputeUnits(), d.getGlobalMemSize() / (double) (1L << 30),
                        d.getMaxMemAllocSize() / (double) (1L << 30), d.getLocalMemSize() / 1024, d.getMaxWorkGroupSize());
            }
        }
        for (Device d : Devices.discover(true)) {
            System.out.printf(Locale.ROOT, "probe: mtflow device %-8s %-10s %s%n", d.id(), d.kind(), d.info().name());
        }
        List<OpenCLDevice> devices = OpenCLDevice.listDevices(null);
        if (devices == null || devices.isEmpty()) {
            System.out.println("probe: NO OpenCL device (" + Devices.probeOpenCl().problem() + ")");
            System.exit(3);
            return;
        }
        OpenCLDevice first = devices.get(0);
        System.out.println("probe: the tests use listDevices(null).get(0) = " + first.getType() + " '" + first.getName().trim() + "'");
        int n = 4 << 20;
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) { a[i] = i % 1000; b[i] = 0.5f * (i % 7); }
        AparapiOps ops = new AparapiOps(first);
        try {
            Tensor out = Tensor.zeros(n);
            long t0 = System.nanoTime();
            ops.add(Tensor.of(a, n), Tensor.of(b, n), out);
            double ms = (System.nanoTime() - t0) / 1e6;
            int bad = 0;
            for (int i = 0; i < n; i++) if (out.data()[i] != a[i] + b[i]) bad++;
            System.out.printf(Locale.ROOT, "probe: add of %d floats on %s: %d launches, %d fell back, %d wrong, first call %.1f ms (build included)%n",
                    n, ops.name(), ops.launches(), ops.fallbackLaunches(), bad, ms);
            if (bad > 0 || ops.fallbackLaunches() > 0 || ops.launches() == 0) {
                System.out.println("probe: FAILED: the launch did not run right on OpenCL");
                System.exit(4);
            }
            System.out.println("probe: ok");
        } finally {
            ops.close();
        }
    }
}
