package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** devices, doctor, version and --help through the real jar. */
class CommandsTest {

    @Test
    void devicesShowsPoclWhenInstalledAndOnlyTheJvmWithoutOpenCl() throws Exception {
        assumeTrue(Files.exists(Path.of("/etc/OpenCL/vendors/pocl.icd")), "PoCL is not installed here");
        Cli.Result with = Cli.run("devices");
        assertEquals(0, with.exit(), with.toString());
        assertTrue(with.out().lines().anyMatch(l -> l.startsWith("opencl0") && l.contains("opencl_cpu")
                && l.toLowerCase().contains("pthread")), with.toString());
        assertTrue(with.out().lines().anyMatch(l -> l.startsWith("jvm") && l.contains("cores")), with.toString());

        // The OpenCL ICD loader reads its vendors from OCL_ICD_VENDORS: point it nowhere.
        Cli.Result without = Cli.run(Map.of("OCL_ICD_VENDORS", "/nonexistent"), "devices");
        assertEquals(0, without.exit(), without.toString());
        assertFalse(without.out().lines().anyMatch(l -> l.startsWith("opencl")), without.toString());
        assertTrue(without.out().lines().anyMatch(l -> l.startsWith("jvm")), without.toString());
        assertTrue(without.out().contains("apt-get install -y pocl-opencl-icd"), without.toString());
    }

    @Test
    void doctorReportsEachCheckAndTheFixForWhatIsMissing(@TempDir Path home) throws Exception {
        Cli.Result ok = Cli.run("doctor", "--home", home.toString());
        for (String check : new String[] {"java", "opencl", "libjsig", "dataset", "home"}) {
            assertTrue(ok.out().lines().anyMatch(l -> l.matches("(ok|FAIL)\\s+" + check + "\\b.*")), check + "\n" + ok);
        }
        Path file = home.resolve("a-file");
        Files.writeString(file, "not a directory");
        Cli.Result bad = Cli.run(Map.of("OCL_ICD_VENDORS", "/nonexistent"), "doctor", "--home", file.toString());
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.out().contains("fix: apt-get install -y pocl-opencl-icd ocl-icd-libopencl1"), bad.toString());
        assertTrue(bad.out().lines().anyMatch(l -> l.startsWith("FAIL home")), bad.toString());
        assertTrue(bad.out().contains("fix: mkdir -p " + file), bad.toString());
    }

    @Test
    void versionAndHelpWork() throws Exception {
        Cli.Result v = Cli.run("version");
        assertEquals(0, v.exit(), v.toString());
        assertTrue(v.out().startsWith("mtflow 0."), v.toString());
        assertTrue(v.out().contains("pekko 1.7.0"), v.toString());
        for (String cmd : new String[] {"run", "validate", "devices", "doctor", "version"}) {
            Cli.Result h = Cli.run(cmd, "--help");
            assertEquals(0, h.exit(), h.toString());
            assertTrue(h.out().contains("Usage: mtflow " + cmd), h.toString());
        }
        Cli.Result top = Cli.run("--help");
        assertEquals(0, top.exit(), top.toString());
        Cli.Result unknown = Cli.run("frobnicate");
        assertEquals(2, unknown.exit(), unknown.toString());
    }
}
