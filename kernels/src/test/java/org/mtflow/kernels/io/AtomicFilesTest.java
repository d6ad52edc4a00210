package org.mtflow.kernels.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesCreatesParentsAndReplacesWithoutLeavingTempFiles() throws Exception {
        Path target = dir.resolve("a").resolve("b").resolve("report.json");
        AtomicFiles.write(target, "first".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("first".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target));
        AtomicFiles.write(target, "second, longer".getBytes(StandardCharsets.UTF_8));
        assertEquals("second, longer", Files.readString(target));
        AtomicFiles.write(target, new byte[0]);
        assertEquals(0, Files.size(target));
        try (Stream<Path> s = Files.list(target.getParent())) {
            assertEquals(List.of(target), s.toList());
        }
    }
}
