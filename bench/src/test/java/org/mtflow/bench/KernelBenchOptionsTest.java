package org.mtflow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelBenchOptionsTest {

    @Test
    void defaultsAreTheIssueSizes() {
        KernelBenchOptions o = KernelBenchOptions.parse();
        assertEquals(List.of(256, 512, 1024, 2048), o.sizes());
        assertEquals(List.of(32 << 20), o.elems());
        assertEquals(List.of(50_000_000), o.topkElems());
        assertEquals(10, o.plan().reps());
        assertTrue(o.ops().isEmpty() && o.devices().isEmpty() && o.csv() == null && !o.quick());
    }

    @Test
    void optionsAndSuffixes() {
        KernelBenchOptions o = KernelBenchOptions.parse("--ops", "matmul:At*B,axpy", "--sizes=1024,2Ki", "--elems",
                "4M,8Mi", "--topk-elems", "1G", "--device", "jvm", "--reps", "4", "--csv", "out/k.csv", "--quick");
        assertEquals(List.of(1024, 2048), o.sizes());
        assertEquals(List.of(4_000_000, 8 << 20), o.elems());
        assertEquals(List.of(1_000_000_000), o.topkElems());
        assertEquals(List.of("jvm"), o.devices());
        assertEquals(4, o.plan().reps());
        assertEquals(Path.of("out/k.csv"), o.csv());
        assertTrue(o.quick());
        assertTrue(o.selects("matmul", "At*B") && o.selects("axpy", "-") && o.selects("AXPY", "-"));
        assertFalse(o.selects("matmul", "A*B"));
        assertTrue(KernelBenchOptions.parse("--ops", "matmul").selects("matmul", "A*Bt"));
    }

    @Test
    void badArgumentsAreClearErrors() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KernelBenchOptions.parse("512"))
                .getMessage().contains("unknown argument '512'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KernelBenchOptions.parse("--sizes", "big"))
                .getMessage().contains("not a count"));
        assertThrows(IllegalArgumentException.class, () -> KernelBenchOptions.parse("--reps", "0"));
        assertThrows(IllegalArgumentException.class, () -> KernelBenchOptions.parse("--elems", "4Gi"));
        assertThrows(IllegalArgumentException.class, () -> KernelBenchOptions.parse("--ops"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> KernelBench.checkSelectors(KernelBenchOptions.parse("--ops", "matmull")))
                .getMessage().contains("no op 'matmull'"));
    }

    @Test
    void labels() {
        assertEquals("32Mi", KernelBenchOptions.label(32 << 20));
        assertEquals("50M", KernelBenchOptions.label(50_000_000));
        assertEquals("128Ki", KernelBenchOptions.label(128 << 10));
        assertEquals("4096", KernelBenchOptions.label(4096));
        assertEquals("50000", KernelBenchOptions.label(50_000));
    }
}
