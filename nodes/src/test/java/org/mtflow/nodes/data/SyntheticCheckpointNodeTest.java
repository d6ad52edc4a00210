package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;
import org.mtflow.kernels.format.TensorSpec;
import org.mtflow.kernels.jvm.JavaOps;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.HfModelArtifacts;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** data.synthetic-checkpoint: Llama names and shapes, values against the Philox definition, determinism, shared bases. */
class SyntheticCheckpointNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();
    @TempDir Path tmp;

    /** Llama's tensors, written out here from the transformers module layout (not from SyntheticLlama). */
    static Map<String, int[]> llama(int layers, int hidden, int inter, int vocab, int heads, int kvHeads) {
        Map<String, int[]> t = new LinkedHashMap<>();
        int kv = hidden / heads * kvHeads;
        t.put("model.embed_tokens.weight", new int[] {vocab, hidden});
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "self_attn.q_proj.weight", new int[] {hidden, hidden});
            t.put(p + "self_attn.k_proj.weight", new int[] {kv, hidden});
            t.put(p + "self_attn.v_proj.weight", new int[] {kv, hidden});
            t.put(p + "self_attn.o_proj.weight", new int[] {hidden, hidden});
            t.put(p + "mlp.gate_proj.weight", new int[] {inter, hidden});
            t.put(p + "mlp.up_proj.weight", new int[] {inter, hidden});
            t.put(p + "mlp.down_proj.weight", new int[] {hidden, inter});
            t.put(p + "input_layernorm.weight", new int[] {hidden});
            t.put(p + "post_attention_layernorm.weight", new int[] {hidden});
        }
        t.put("model.norm.weight", new int[] {hidden});
        t.put("lm_head.weight", new int[] {vocab, hidden});
        return t;
    }

    private static final Map<String, Long> STREAMS = new java.util.concurrent.ConcurrentHashMap<>();

    private static long stream(String purpose, String name, long piece) {
        return STREAMS.computeIfAbsent(purpose + "/" + name + "/" + piece,
                key -> Philox.stream("synthetic-checkpoint", purpose, name, Long.toString(piece)));
    }

    /** Element i of a tensor by the documented definition, from Philox's bits alone. */
    static float expected(String name, long i, long seed, Long base, double noise) {
        long k = i / (1 << 22), j = i % (1 << 22);
        double a = Math.sqrt(3) * 0.02;
        float c = name.endsWith("layernorm.weight") || name.equals("model.norm.weight") ? 1f : 0f;
        float lo = (float) (c - a), hi = (float) (c + a);
        float theta = Philox.toUniform(Philox.bits(base != null ? base : seed, stream("base", name, k), j), lo, hi);
        if (base == null) return theta;
        float u = Philox.toUniform(Philox.bits(seed, stream("delta", name, k), j),
                (float) -Math.sqrt(3), (float) Math.sqrt(3));
        return Math.fma((float) noise, u, theta);
    }

    private static void checkValues(HfModel m, long seed, Long base, double noise, Dtype dtype) throws IOException {
        for (String name : m.entries().keySet()) {
            Tensor t = m.read(name);
            for (int i = 0; i < t.size(); i++) {
                float want = expected(name, i, seed, base, noise);
                if (dtype == Dtype.BF16) want = Float.intBitsToFloat((Float.floatToRawIntBits(want) + 0x7FFF + ((Float.floatToRawIntBits(want) >> 16) & 1)) & 0xFFFF0000);
                assertEquals(want, t.data()[i], name + "[" + i + "] seed=" + seed + " base=" + base);
            }
        }
    }

    private NodeRuns.Run generate(long seed, Object... with) throws Exception {
        Workflows.Task t = Workflows.named("ckpt", seed).task("c", "data.synthetic-checkpoint");
        for (int i = 0; i < with.length; i += 2) t.with((String) with[i], with[i + 1]);
        NodeRuns.Run run = runs.run(t.build(), false);
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        return run;
    }

    private static List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesLlamaNamesShapesAndConfigWithTheDefinedValues() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int kvHeads = 1 + rnd.nextInt(3), heads = kvHeads * (1 + rnd.nextInt(3)), hidden = heads * (2 + rnd.nextInt(6));
        int inter = 1 + rnd.nextInt(50), vocab = 1 + rnd.nextInt(40), layers = 1 + rnd.nextInt(3);
        Path dir = tmp.resolve("m");
        // A third of the drawn model's bytes per shard, so that it always takes several files (a
        // fixed 4000 left the smallest draws in one).
        long params = 0;
        for (int[] s : llama(layers, hidden, inter, vocab, heads, kvHeads).values()) {
            long n = 1;
            for (int d : s) n *= d;
            params += n;
        }
        long shardBytes = Math.max(4, 4 * params / 3);
        NodeRuns.Run run = generate(seed, "dir", dir.toString(), "layers", layers, "hidden", hidden, "intermediate", inter,
                "vocab", vocab, "heads", heads, "kv-heads", kvHeads, "dtype", "F32", "max-shard-bytes", shardBytes);
        Path manifest = run.artifact("c", "model");
        String msg = "seed=" + seed;
        try (HfModel m = HfModelArtifacts.open(manifest)) {
            Map<String, int[]> want = llama(layers, hidden, inter, vocab, heads, kvHeads);
            assertEquals(new java.util.TreeSet<>(want.keySet()), new java.util.TreeSet<>(m.entries().keySet()), msg);
            for (var e : want.entrySet()) {
                assertArrayEquals(e.getValue(), m.entry(e.getKey()).shape(), e.getKey() + " " + msg);
                assertEquals(Dtype.F32, m.entry(e.getKey()).dtype());
            }
            JsonNode c = m.config();
            assertEquals("llama", c.get("model_type").asText());
            assertEquals("LlamaForCausalLM", c.get("architectures").get(0).asText());
            assertEquals(hidden, c.get("hidden_size").asInt());
            assertEquals(inter, c.get("intermediate_size").asInt());
            assertEquals(layers, c.get("num_hidden_layers").asInt());
            assertEquals(heads, c.get("num_attention_heads").asInt());
            assertEquals(kvHeads, c.get("num_key_value_heads").asInt());
            assertEquals(vocab, c.get("vocab_size").asInt());
            assertTrue(m.weightFiles().size() > 1, "sharded at " + shardBytes + " bytes: " + m.weightFiles() + " " + msg);
            checkValues(m, seed, null, 0, Dtype.F32);
        }
        assertEquals(dir, HfModelArtifacts.verify(manifest));
        assertTrue(listing(dir).contains("model.safetensors.index.json"), listing(dir).toString());
        assertEquals(params, run.metrics("c").get("parameters").asLong(), msg);
    }

    @Test
    void fineTunesShareTheirBaseAndTheSameParamsGiveTheSameBytes() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        long base = rnd.nextLong(), s1 = rnd.nextLong(), s2 = rnd.nextLong();
        double noise = 0.001 + rnd.nextDouble() * 0.01;
        // vocab · hidden = 65600 · 64 > 2^22: the embedding spans two pieces.
        SyntheticLlama.Shape shape = new SyntheticLlama.Shape(1, 64, 48, 65600, 4, 2);
        JavaOps ops = new JavaOps(2);
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), a2 = tmp.resolve("a2");
        Map<String, String> crcA = SyntheticLlama.write(ops, shape, Dtype.BF16, new SyntheticLlama.Values(s1, base, noise), 1L << 40, a, f -> { });
        SyntheticLlama.write(ops, shape, Dtype.BF16, new SyntheticLlama.Values(s2, base, noise), 1L << 40, b, f -> { });
        Map<String, String> crcA2 = SyntheticLlama.write(new JavaOps(1), shape, Dtype.BF16, new SyntheticLlama.Values(s1, base, noise), 1L << 40, a2, f -> { });
        assertEquals(List.of("config.json", "model.safetensors"), listing(a));
        assertEquals(crcA, crcA2);
        for (String f : listing(a)) assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(a2.resolve(f)), f + " seed=" + seed);
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(b.resolve("model.safetensors"))));
        try (HfModel ma = HfModel.open(a); HfModel mb = HfModel.open(b)) {
            checkValues(ma, s1, base, noise, Dtype.BF16);
            checkValues(mb, s2, base, noise, Dtype.BF16);
            assertEquals("bfloat16", ma.config().get("torch_dtype").asText());
        }
        // The whole-tensor helper is the same definition.
        Tensor embed = SyntheticLlama.tensor(ops, shape.tensors(Dtype.F32).get(0), new SyntheticLlama.Values(s1, base, noise));
        for (int i = 0; i < embed.size(); i += 997) assertEquals(expected("model.embed_tokens.weight", i, s1, base, noise), embed.data()[i]);
    }

    @Test
    void aTaskRerunAfterACrashKeepsTheShardsAlreadyWrittenAndEndsWithTheSameBytes() throws Exception {
        long seed = TestSeeds.next();
        Object[] params = {"seed", seed, "layers", 2, "hidden", 16, "intermediate", 24, "vocab", 40, "heads", 2, "kv-heads", 1,
                "dtype", "F32", "max-shard-bytes", 3000};
        Path fresh = tmp.resolve("fresh"), crashed = tmp.resolve("crashed");
        Object[] withFresh = java.util.Arrays.copyOf(params, params.length + 2);
        withFresh[params.length] = "dir";
        withFresh[params.length + 1] = fresh.toString();
        generate(seed, withFresh);

        // A killed first attempt: the first shard complete, the second half written.
        SyntheticLlama.Shape shape = new SyntheticLlama.Shape(2, 16, 24, 40, 2, 1);
        SyntheticLlama.Values values = new SyntheticLlama.Values(seed, null, 0);
        JavaOps ops = new JavaOps(1);
        StreamingSafetensorsWriter.Builder b = StreamingSafetensorsWriter.to(crashed).maxShardBytes(3000);
        shape.tensors(Dtype.F32).forEach(b::declare);
        String first;
        try (StreamingSafetensorsWriter w = b.open()) {
            first = w.plan().get(0).fileName();
            for (TensorSpec t : w.plan().get(0).tensors()) w.write(t.name(), SyntheticLlama.tensor(ops, t, values));
            TensorSpec next = w.plan().get(1).tensors().get(0);
            Tensor part = SyntheticLlama.tensor(ops, next, values);
            w.write(next.name(), 0, Tensor.of(java.util.Arrays.copyOf(part.data(), part.size() / 2), part.size() / 2));
        }
        Object inode = Files.readAttributes(crashed.resolve(first), java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        Object[] withCrashed = java.util.Arrays.copyOf(params, params.length + 2);
        withCrashed[params.length] = "dir";
        withCrashed[params.length + 1] = crashed.toString();
        generate(seed, withCrashed);
        assertEquals(inode, Files.readAttributes(crashed.resolve(first), java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                first + " was kept, not rewritten (seed=" + seed + ")");
        assertEquals(listing(fresh), listing(crashed));
        for (String f : listing(fresh)) {
            assertArrayEquals(Files.readAllBytes(fresh.resolve(f)), Files.readAllBytes(crashed.resolve(f)), f + " seed=" + seed);
        }
    }

    @Test
    void badParamsAndAChangedDirectoryAreRefusedWithTheFix() throws Exception {
        var e1 = assertThrows(IllegalArgumentException.class, () -> new SyntheticCheckpointNode.Params("d", null, null, null, null, null, null, null, null, null, 0.01, null));
        assertTrue(e1.getMessage().contains("set base"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new SyntheticCheckpointNode.Params("d", 1, 30, 8, 8, 4, 1, null, null, null, null, null));
        assertTrue(e2.getMessage().contains("hidden (30) must be a multiple of heads (4)"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> new SyntheticCheckpointNode.Params("d", 1, 32, 8, 8, 4, 3, null, null, null, null, null));
        assertTrue(e3.getMessage().contains("heads (4) must be a multiple of kvHeads (3)"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> new SyntheticCheckpointNode.Params("d", null, null, null, null, null, null, "I8", null, null, null, null));
        assertTrue(e4.getMessage().contains("dtype must be F32, F16 or BF16"), e4.getMessage());
        SyntheticCheckpointNode.Params p = new SyntheticCheckpointNode.Params("d", null, null, null, null, null, null, null, null, null, null, null);
        assertEquals(SyntheticLlama.Shape.TINY_LLAMA_1_1B, p.shape());
        assertEquals(1_100_048_384L, p.shape().parameters(), "TinyLlama-1.1B's parameter count");

        long seed = TestSeeds.next();
        Path dir = tmp.resolve("m");
        NodeRuns.Run run = generate(seed, "dir", dir.toString(), "layers", 1, "hidden", 8, "intermediate", 8, "vocab", 8, "heads", 2, "kv-heads", 1);
        Path manifest = run.artifact("c", "model");
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
        HfModelArtifacts.directory(manifest); // sizes still match
        var e5 = assertThrows(FormatException.class, () -> HfModelArtifacts.verify(manifest));
        assertTrue(e5.getMessage().contains("model.safetensors has CRC32C") && e5.getMessage().contains("run that task again"), e5.getMessage());
        Files.delete(weights);
        var e6 = assertThrows(FormatException.class, () -> HfModelArtifacts.open(manifest));
        assertTrue(e6.getMessage().startsWith(dir + ": model.safetensors is missing"), e6.getMessage());
    }
}
