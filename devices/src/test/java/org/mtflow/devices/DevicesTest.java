package org.mtflow.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.aparapi.AparapiOps;
import org.mtflow.kernels.jvm.JavaOps;

class DevicesTest {

    @Test
    void theJvmDeviceIsAlwaysLastAndServedByPlainJava() {
        List<Device> devices = Devices.discover(false);
        assertEquals(1, devices.size());
        Device jvm = devices.get(0);
        assertEquals(DeviceKind.JVM, jvm.kind());
        assertEquals(Runtime.getRuntime().availableProcessors(), jvm.info().computeUnits());
        assertEquals(Runtime.getRuntime().maxMemory(), jvm.info().memoryBytes());
        assertTrue(jvm.ops() instanceof JavaOps);
        jvm.close();
    }

    /** CI installs PoCL: the OpenCL CPU device must be found and must really run kernels. */
    @Test
    void openClDevicesComeFirstAndRunTheirKernelsOnOpenCl() {
        Devices.OpenClProbe probe = Devices.probeOpenCl();
        assertTrue(probe.problem() == null, "no OpenCL here (" + probe.problem()
                + "): apt-get install -y pocl-opencl-icd ocl-icd-libopencl1");
        List<Device> devices = Devices.discover(true);
        assertEquals(probe.devices().size() + 1, devices.size());
        assertEquals(DeviceKind.JVM, devices.get(devices.size() - 1).kind());
        for (int i = 1; i < devices.size(); i++) {
            assertTrue(devices.get(i - 1).kind().ordinal() <= devices.get(i).kind().ordinal(), "best kind first: " + devices);
        }
        Device cl = devices.get(0);
        assertTrue(cl.kind().isOpenCl() && cl.info().backend().equals("opencl") && cl.id().equals("opencl0"), cl.info().toString());
        assertTrue(cl.info().computeUnits() > 0 && cl.info().memoryBytes() > 0, cl.info().toString());
        TensorOps ops = cl.ops();
        assertTrue(ops instanceof AparapiOps);
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        // A GPU runs this product as a kernel; a CPU device on the host's Vector API kernel (AparapiOps.forDevice).
        int m = 97, k = 89, n = 101;
        Tensor a = Tensor.zeros(m, k), b = Tensor.zeros(k, n);
        for (int i = 0; i < a.size(); i++) a.data()[i] = (float) rnd.nextDouble(-1, 1);
        for (int i = 0; i < b.size(); i++) b.data()[i] = (float) rnd.nextDouble(-1, 1);
        Tensor c = ops.matmul(a, b);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ref = 0;
                for (int p = 0; p < k; p++) ref += (double) a.data()[i * k + p] * b.data()[p * n + j];
                assertEquals(ref, c.data()[i * n + j], 1e-5 * k, "seed " + seed + " at " + i + "," + j);
            }
        }
        // Streaming ops of a million elements run as kernels on every device type.
        Tensor x = Tensor.zeros(1 << 20), y = Tensor.zeros(1 << 20), z = Tensor.zeros(1 << 20);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = (float) rnd.nextDouble(-1, 1);
            y.data()[i] = (float) rnd.nextDouble(-1, 1);
        }
        ops.add(x, y, z);
        for (int i = 0; i < z.size(); i++) assertEquals(x.data()[i] + y.data()[i], z.data()[i], "seed " + seed + " at " + i);
        assertTrue(((AparapiOps) ops).launches() > 0, "the add launched a kernel");
        assertEquals(0, ((AparapiOps) ops).fallbackLaunches(), "ran on Aparapi's Java fallback, not OpenCL");
        cl.close();
    }

    @Test
    void selectorsMatchTheirKinds() {
        assertTrue(DeviceSelector.ANY.matches(DeviceKind.JVM) && DeviceSelector.ANY.matches(DeviceKind.GPU));
        assertTrue(DeviceSelector.CPU.matches(DeviceKind.OPENCL_CPU) && DeviceSelector.CPU.matches(DeviceKind.JVM));
        assertFalse(DeviceSelector.CPU.matches(DeviceKind.GPU));
        assertTrue(DeviceSelector.OPENCL.matches(DeviceKind.OPENCL_OTHER));
        assertFalse(DeviceSelector.OPENCL.matches(DeviceKind.JVM));
        assertFalse(DeviceSelector.GPU.matches(DeviceKind.OPENCL_CPU));
        assertFalse(DeviceSelector.JVM.matches(DeviceKind.OPENCL_CPU));
        for (DeviceSelector s : DeviceSelector.values()) assertEquals(s, DeviceSelector.parse(s.token()).orElseThrow());
        assertTrue(DeviceSelector.parse("GPU").isEmpty(), "tokens are lower case");
    }
}
