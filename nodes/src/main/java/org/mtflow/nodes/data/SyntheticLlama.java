package org.mtflow.nodes.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.format.Dtype;
import org.mtflow.kernels.format.HfModel;
import org.mtflow.kernels.format.StreamingSafetensorsWriter;
import org.mtflow.kernels.format.TensorSpec;
import org.mtflow.kernels.io.AtomicFiles;
import org.mtflow.kernels.random.Philox;

/**
 * A Llama-shaped checkpoint with seeded random values: the tensor names and shapes of a Hugging Face
 * {@code LlamaForCausalLM} and its config.json, so merges can run at scale without a download. The
 * defaults are TinyLlama-1.1B's (22 layers, hidden 2048, intermediate 5632, 32 heads, 4 KV heads,
 * vocabulary 32000, untied lm_head: 1.1 G parameters, 2.2 GB as BF16).
 *
 * <p>Values: element i of tensor {@code name} lies in piece {@code k = i / PIECE} at {@code j = i mod
 * PIECE} and is draw j of the uniform Philox stream {@code stream("synthetic-checkpoint", "base", name,
 * k)} keyed by the base seed, in {@code c ± √3·0.02} (Llama's initializer std 0.02 around c = 1 for the
 * RMSNorm weights, 0 elsewhere). A fine-tune ({@code base} given) adds {@code noise · u}, u uniform with
 * std 1 (in ±√3) from stream {@code ("synthetic-checkpoint", "delta", name, k)} keyed by its own seed,
 * as {@code fma(noise, u, θ₀)}; so checkpoints with the same base share θ₀ exactly and differ by seeded
 * task vectors. Pieces bound memory to two of them and make the values independent of the device and of
 * the order tensors are generated in. Stored values are these floats rounded to the dtype.
 */
public final class SyntheticLlama {
    /** Elements per piece: a fixed part of the value definition, not a tuning knob. */
    public static final int PIECE = 1 << 22;
    static final float INIT_STD = 0.02f;
    private static final float HALF_WIDTH = (float) (Math.sqrt(3) * INIT_STD);
    private static final float UNIT_HALF_WIDTH = (float) Math.sqrt(3);

    private SyntheticLlama() {}

    /** The architecture: what config.json says and what fixes the tensor shapes. */
    public record Shape(int layers, int hidden, int intermediate, int vocab, int heads, int kvHeads) {
        public static final Shape TINY_LLAMA_1_1B = new Shape(22, 2048, 5632, 32000, 32, 4);

        public Shape {
            if (layers < 1 || hidden < 1 || intermediate < 1 || vocab < 1 || heads < 1 || kvHeads < 1) {
                throw new IllegalArgumentException("layers, hidden, intermediate, vocab, heads and kvHeads must be at least 1, got "
                        + layers + ", " + hidden + ", " + intermediate + ", " + vocab + ", " + heads + ", " + kvHeads);
            }
            if (hidden % heads != 0) throw new IllegalArgumentException("hidden (" + hidden + ") must be a multiple of heads (" + heads + ")");
            if (heads % kvHeads != 0) throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
        }

        public int headDim() { return hidden / heads; }

        /** Every tensor as {@code transformers} names it, [out, in] for projections, in its order. */
        public List<TensorSpec> tensors(Dtype dtype) {
            List<TensorSpec> t = new ArrayList<>();
            int kv = kvHeads * headDim();
            t.add(new TensorSpec("model.embed_tokens.weight", dtype, new int[] {vocab, hidden}));
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                t.add(new TensorSpec(p + "self_attn.q_proj.weight", dtype, new int[] {hidden, hidden}));
                t.add(new TensorSpec(p + "self_attn.k_proj.weight", dtype, new int[] {kv, hidden}));
                t.add(new TensorSpec(p + "self_attn.v_proj.weight", dtype, new int[] {kv, hidden}));
                t.add(new TensorSpec(p + "self_attn.o_proj.weight", dtype, new int[] {hidden, hidden}));
                t.add(new TensorSpec(p + "mlp.gate_proj.weight", dtype, new int[] {intermediate, hidden}));
                t.add(new TensorSpec(p + "mlp.up_proj.weight", dtype, new int[] {intermediate, hidden}));
                t.add(new TensorSpec(p + "mlp.down_proj.weight", dtype, new int[] {hidden, intermediate}));
                t.add(new TensorSpec(p + "input_layernorm.weight", dtype, new int[] {hidden}));
                t.add(new TensorSpec(p + "post_attention_layernorm.weight", dtype, new int[] {hidden}));
            }
            t.add(new TensorSpec("model.norm.weight", dtype, new int[] {hidden}));
            t.add(new TensorSpec("lm_head.weight", dtype, new int[] {vocab, hidden}));
            return t;
        }

        public long parameters() {
            long n = 0;
            for (TensorSpec s : tensors(Dtype.F32)) n += s.elements();
            return n;
        }

        /** config.json as TinyLlama's, with this shape and the stored dtype. */
        public ObjectNode config(Dtype dtype) {
            ObjectNode c = new ObjectMapper().createObjectNode();
            c.putArray("architectures").add("LlamaForCausalLM");
            c.put("model_type", "llama");
            c.put("hidden_size", hidden);
            c.put("intermediate_size", intermediate);
            c.put("num_hidden_layers", layers);
            c.put("num_attention_heads", heads);
            c.put("num_key_value_heads", kvHeads);
            c.put("vocab_size", vocab);
            c.put("hidden_act", "silu");
            c.put("max_position_embeddings", 2048);
            c.put("rms_norm_eps", 1e-5);
            c.put("rope_theta", 10000.0);
            c.put("initializer_range", INIT_STD);
            c.put("tie_word_embeddings", false);
            c.put("bos_token_id", 1);
            c.put("eos_token_id", 2);
            c.put("torch_dtype", switch (dtype) {
                case F16 -> "float16";
                case BF16 -> "bfloat16";
                default -> "float32";
            });
            return c;
        }
    }

    /** Which values: a base model (base = null) or a fine-tune of base {@code base} with task-vector std {@code noise}. */
    public record Values(long seed, Long base, double noise) {
        public Values {
            if (!(noise >= 0) || Double.isInfinite(noise)) throw new IllegalArgumentException("noise must be a finite value >= 0, got " + noise);
        }
    }

    static boolean isNorm(String name) {
        return name.endsWith("layernorm.weight") || name.equals("model.norm.weight");
    }

    /** Elements [from, from + out.size()) of a tensor, {@code from} a multiple of {@link #PIECE}, out at most a piece. */
    static void piece(TensorOps ops, String name, long from, Values v, Tensor out, Tensor scratch) {
        long k = from / PIECE;
        float c = isNorm(name) ? 1f : 0f;
        long baseSeed = v.base() != null ? v.base() : v.seed();
        ops.uniform(baseSeed, Philox.stream("synthetic-checkpoint", "base", name, Long.toString(k)), c - HALF_WIDTH, c + HALF_WIDTH, out);
        if (v.base() != null) {
            ops.uniform(v.seed(), Philox.stream("synthetic-checkpoint", "delta", name, Long.toString(k)), -UNIT_HALF_WIDTH, UNIT_HALF_WIDTH, scratch);
            ops.axpy((float) v.noise(), scratch, out);
        }
    }

    /** The whole tensor as float32 (before rounding to the stored dtype): the definition above, for tests and small shapes. */
    public static Tensor tensor(TensorOps ops, TensorSpec spec, Values v) {
        long n = spec.elements();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor '" + spec.name() + "' is too large for one array");
        float[] all = new float[(int) n];
        for (long from = 0; from < n; from += PIECE) {
            int len = (int) Math.min(PIECE, n - from);
            Tensor out = Tensor.zeros(len);
            piece(ops, spec.name(), from, v, out, Tensor.zeros(len));
            System.arraycopy(out.data(), 0, all, (int) from, len);
        }
        return Tensor.of(all, spec.shape());
    }

    /**
     * Writes the checkpoint into {@code dir} (config.json, then the weights through the streaming writer,
     * the index last; an interrupted earlier write is resumed). Returns every file's CRC32C by name.
     */
    public static Map<String, String> write(TensorOps ops, Shape shape, Dtype dtype, Values v, long maxShardBytes, Path dir,
            DoubleConsumer progress) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path config = dir.resolve(HfModel.CONFIG_FILE_NAME);
        AtomicFiles.write(config, json.writeValueAsBytes(shape.config(dtype)));
        List<TensorSpec> specs = shape.tensors(dtype);
        StreamingSafetensorsWriter.Builder b = StreamingSafetensorsWriter.to(dir).maxShardBytes(maxShardBytes);
        specs.forEach(b::declare);
        Map<String, String> crc = new LinkedHashMap<>();
        crc.put(HfModel.CONFIG_FILE_NAME, StreamingSafetensorsWriter.crc32c(config));
        try (StreamingSafetensorsWriter w = b.open()) {
            List<String> pending = w.pending();
            Tensor out = Tensor.zeros(PIECE), scratch = Tensor.zeros(PIECE);
            long total = 0, done = 0;
            for (TensorSpec s : specs) total += s.elements();
            for (TensorSpec s : specs) {
                if (pending.contains(s.name())) {
                    for (long from = 0; from < s.elements(); from += PIECE) {
                        int len = (int) Math.min(PIECE, s.elements() - from);
                        Tensor o = len == PIECE ? out : Tensor.zeros(len), sc = len == PIECE ? scratch : Tensor.zeros(len);
                        piece(ops, s.name(), from, v, o, sc);
                        w.write(s.name(), from, o);
                    }
                }
                done += s.elements();
                progress.accept((double) done / total);
            }
            w.finish();
            crc.putAll(w.checksums());
        }
        return crc;
    }
}
