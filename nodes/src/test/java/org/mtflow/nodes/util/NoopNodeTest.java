package org.mtflow.nodes.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TensorArtifacts;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

class NoopNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @Test
    void passesItsFirstInputThroughByteIdentical() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(Workflows.named("noop-pass", seed)
                .task("a", "util.random").with("shape", List.of(5, 7))
                .task("b", "util.random").with("shape", List.of(3))
                .task("n", "util.noop").inputs("x", "a.tensor", "b.tensor").build());
        String msg = "seed=" + seed;
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Path in = run.artifact("a", "tensor");
        Path out = run.artifact("n", "out");
        assertEquals(NodeRuns.sha256(in), NodeRuns.sha256(out), msg);
        assertEquals(run.hash("a", "tensor"), NodeRuns.sha256(out), msg + ": report.json hash");
        assertEquals(-1, Files.mismatch(in, out), msg);
    }

    @Test
    void passesThroughArtifactsThatAreNotTensors() throws Exception {
        long seed = TestSeeds.next();
        NodeRuns.Run run = runs.run(Workflows.named("noop-any", seed)
                .task("a", "util.random").with("shape", List.of(4, 4))
                .task("b", "util.random").with("shape", List.of(4, 4))
                .task("m", "util.matmul").input("a", "a.tensor").input("b", "b.tensor")
                .task("n1", "util.noop").inputs("x", "m.tensor")
                .task("n2", "util.noop").inputs("x", "n1.out").build());
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        assertEquals(run.hash("m", "tensor"), run.hash("n2", "out"), "seed=" + seed);
    }

    @Test
    void emitsAnEmptyTensorWithoutInputs() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("noop-empty", 5).task("n", "util.noop").build());
        assertTrue(run.outcome().ok(), () -> run.report().toString());
        Path out = run.artifact("n", "out");
        try (Safetensors.Reader r = Safetensors.open(out)) {
            assertEquals(List.of(TensorArtifacts.ENTRY), List.copyOf(r.entries().keySet()));
            Safetensors.Entry e = r.entries().get(TensorArtifacts.ENTRY);
            assertEquals(Dtype.F32, e.dtype());
            assertArrayEquals(new int[] {0}, e.shape());
        }
        assertEquals(0, TensorArtifacts.read(out).size());
    }

    @Test
    void sleepAndFlakyEmitTheSameEmptyTensorAsNoop() throws Exception {
        NodeRuns.Run run = runs.run(Workflows.named("noop-same", 5)
                .task("n", "util.noop")
                .task("s", "util.sleep").with("ms", 0)
                .task("f", "util.flaky").with("failures", 0).build());
        assertTrue(run.outcome().ok(), () -> run.report().toString());
        assertEquals(run.hash("n", "out"), run.hash("s", "out"));
        assertEquals(run.hash("n", "out"), run.hash("f", "out"));
    }
}
