package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aparapi.device.OpenCLDevice;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.aparapi.AparapiOps;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.nodes.TestSeeds;

/** Random drops are keyed, not drawn where they run: DARE and DELLA give the same bits on the JVM and on OpenCL. */
class MergeBackendsTest {
    private static AparapiOps aparapi;
    private static final TensorOps JAVA = new JavaOps(2);

    @BeforeAll
    static void open() {
        List<OpenCLDevice> devices = OpenCLDevice.listDevices(null);
        assertFalse(devices == null || devices.isEmpty(),
                "no OpenCL device: install PoCL (apt-get install -y pocl-opencl-icd ocl-icd-libopencl1)");
        aparapi = new AparapiOps(devices.get(0));
    }

    @AfterAll
    static void close() {
        if (aparapi != null) aparapi.close();
    }

    @Test
    void dareAndDellaDropTheSameEntriesOnBothBackends() {
        long seed = TestSeeds.next();
        // large enough that AparapiOps runs the random ops on the device, not its small-tensor fallback
        MergeMethodsTest.Case c = MergeMethodsTest.randomCase(seed, 3, 256, 384);
        for (MergeMethod m : List.of(new DareLinearMerge(), new DellaLinearMerge())) {
            Map<String, Object> g = m instanceof DellaLinearMerge ? Map.of("density", 0.4, "epsilon", 0.1, "lambda", 0.9)
                    : Map.of("density", 0.4, "lambda", 0.9);
            List<Map<String, Object>> pm = List.of(Map.of("weight", 0.5), Map.of("weight", 1.5), Map.of("weight", 1));
            TensorSlot slot = MergeMethodsTest.slot(m, c, g, pm);
            for (int i = 0; i < 3; i++) {
                Tensor tau = Elementwise.delta(JAVA, c.models().get(i), c.base());
                Sparsification s = m instanceof DareLinearMerge ? Sparsification.RANDOM : Sparsification.DELLA;
                Tensor onJvm = s.apply(JAVA, tau, slot, i, seed, true), onCl = s.apply(aparapi, tau, slot, i, seed, true);
                int kept = 0;
                for (int j = 0; j < tau.size(); j++) {
                    assertEquals(Float.floatToRawIntBits(onJvm.data()[j]), Float.floatToRawIntBits(onCl.data()[j]),
                            "seed " + seed + ": " + m.name() + " model " + i + " element " + j + " on " + aparapi.name());
                    if (onJvm.data()[j] != 0) kept++;
                }
                assertTrue(kept > 0.3 * tau.size() && kept < 0.5 * tau.size(), "seed " + seed + ": kept " + kept + " of " + tau.size());
            }
            Tensor a = m.merge(JAVA, slot, seed), b = m.merge(aparapi, slot, seed);
            for (int j = 0; j < a.size(); j++) {
                assertEquals(Float.floatToRawIntBits(a.data()[j]), Float.floatToRawIntBits(b.data()[j]),
                        "seed " + seed + ": merged " + m.name() + " element " + j);
            }
        }
    }
}
