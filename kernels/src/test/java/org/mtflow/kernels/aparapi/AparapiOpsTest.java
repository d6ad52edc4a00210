package org.mtflow.kernels.aparapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.aparapi.device.OpenCLDevice;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOpsContract;

/**
 * The OpenCL backend on the first OpenCL device (PoCL in CI). Fails, rather than skips, when there
 * is none: the backend must be tested on OpenCL, not on Aparapi's Java fallback.
 */
class AparapiOpsTest extends TensorOpsContract {
    private static AparapiOps ops;

    @BeforeAll
    static void open() {
        List<OpenCLDevice> devices = OpenCLDevice.listDevices(null);
        assertFalse(devices == null || devices.isEmpty(),
                "no OpenCL device: install PoCL (apt-get install -y pocl-opencl-icd ocl-icd-libopencl1)");
        ops = new AparapiOps(devices.get(0));
        System.out.println("AparapiOpsTest on " + ops.name());
    }

    @AfterAll
    static void close() {
        if (ops != null) ops.close();
    }

    @Override
    protected TensorOps ops() { return ops; }

    @Override
    protected void afterOp(String op) {
        assertEquals(0, ops.fallbackLaunches(), op + " fell back to Aparapi's Java threads instead of running on " + ops.name());
    }
}
