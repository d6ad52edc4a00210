package org.mtflow.devices;

import com.aparapi.device.OpenCLDevice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.mtflow.kernels.aparapi.AparapiOps;
import org.mtflow.kernels.jvm.JavaOps;

/** Finds the devices of this machine: every OpenCL device Aparapi can reach, and the JVM. */
public final class Devices {
    private static final Logger LOG = Logger.getLogger(Devices.class.getName());
    /**
     * Aparapi logs a SEVERE "check your environment" when there is no OpenCL; the probe reports that
     * itself, as an answer. Held in a field: JUL keeps loggers only weakly.
     */
    private static final Logger APARAPI_LOG = Logger.getLogger("com.aparapi");

    static {
        if (System.getProperty("java.util.logging.config.file") == null) APARAPI_LOG.setLevel(Level.OFF);
    }

    private Devices() {}

    /** The outcome of looking for OpenCL: the devices, or why there are none. */
    public record OpenClProbe(List<OpenCLDevice> devices, String problem) {}

    /**
     * All devices: OpenCL GPUs first, then OpenCL CPU devices, then the JVM device (always present).
     *
     * @param useOpenCl false to skip OpenCL entirely (the JVM device only)
     */
    public static List<Device> discover(boolean useOpenCl) {
        List<Device> devices = new ArrayList<>();
        if (useOpenCl) {
            List<OpenCLDevice> found = new ArrayList<>(probeOpenCl().devices());
            found.sort(Comparator.comparingInt(d -> kindOf(d).ordinal()));
            for (int i = 0; i < found.size(); i++) {
                OpenCLDevice cl = found.get(i);
                DeviceInfo info = new DeviceInfo("opencl" + i, kindOf(cl), cl.getName().trim(),
                        cl.getMaxComputeUnits(), cl.getGlobalMemSize(), "opencl");
                devices.add(new Device(info, () -> AparapiOps.forDevice(cl)));
            }
        }
        devices.add(jvmDevice(Runtime.getRuntime().availableProcessors()));
        return devices;
    }

    /** The JVM device with the given number of kernel threads. */
    public static Device jvmDevice(int threads) {
        DeviceInfo info = new DeviceInfo("jvm", DeviceKind.JVM,
                "Java " + Runtime.version().feature() + " (" + System.getProperty("os.arch") + ")",
                threads, Runtime.getRuntime().maxMemory(), "java");
        return new Device(info, () -> new JavaOps(threads));
    }

    /** Asks Aparapi for OpenCL devices; a missing driver or library is an answer, not an error. */
    public static OpenClProbe probeOpenCl() {
        try {
            List<OpenCLDevice> list = OpenCLDevice.listDevices(null);
            if (list == null || list.isEmpty()) {
                return new OpenClProbe(List.of(), "no OpenCL platform or device found");
            }
            return new OpenClProbe(List.copyOf(list), null);
        } catch (Throwable t) { // UnsatisfiedLinkError when libOpenCL is absent
            LOG.log(Level.FINE, "OpenCL probe failed", t);
            return new OpenClProbe(List.of(), "OpenCL unavailable: " + t);
        }
    }

    static DeviceKind kindOf(OpenCLDevice d) {
        return switch (d.getType()) {
            case GPU -> DeviceKind.GPU;
            case CPU -> DeviceKind.OPENCL_CPU;
            default -> DeviceKind.OPENCL_OTHER;
        };
    }
}
