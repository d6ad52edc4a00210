package org.mtflow.dsl;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A mergekit merge configuration, the {@code config.yml} of {@code mergekit-yaml config.yml DIR}, in the
 * fields mtflow imports (mergekit's names): {@code merge_method}, {@code base_model}, {@code models} (each
 * {@code model} and its {@code parameters}), method-wide {@code parameters}, {@code dtype} and {@code
 * out_dtype}. A parameter value is mergekit's: a scalar, a gradient (a list of numbers) or a list of
 * {@code {filter, value}}; they are kept as JSON, as the merge nodes take them.
 */
public record MergekitConfig(
        @JsonProperty("merge_method") String mergeMethod,
        @JsonProperty("base_model") String baseModel,
        @JsonProperty("models") List<InputModel> models,
        @JsonProperty("parameters") Map<String, JsonNode> parameters,
        @JsonProperty("dtype") String dtype,
        @JsonProperty("out_dtype") String outDtype) {

    public MergekitConfig {
        models = models == null ? List.of() : List.copyOf(models);
        parameters = parameters == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** One entry of {@code models}: a model directory and its own parameters. */
    public record InputModel(@JsonProperty("model") String model, @JsonProperty("parameters") Map<String, JsonNode> parameters) {
        public InputModel {
            parameters = parameters == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        }
    }

    /** The keys of a config mtflow reads. */
    static final List<String> KEYS = List.of("merge_method", "base_model", "models", "parameters", "dtype", "out_dtype");
    static final List<String> MODEL_KEYS = List.of("model", "parameters");

    /** mergekit's keys that mtflow does not import, and what to do instead. */
    static final Map<String, String> NOT_IMPORTED = Map.of(
            "slices", "layer slices are not supported: merge whole models (list them under 'models')",
            "modules", "per-module configs are not supported: merge whole models (list them under 'models')",
            "tokenizer_source", "the tokenizer is not merged: only config.json is copied to the output; remove it and copy the tokenizer files yourself",
            "tokenizer", "the tokenizer is not merged: only config.json is copied to the output; remove it and copy the tokenizer files yourself",
            "chat_template", "the chat template is not written: only config.json is copied to the output; remove it");

    /** The methods mtflow imports, mergekit's name → the mtflow node type's suffix ({@code merge.<suffix>}). */
    static final Map<String, String> METHODS = ordered(
            "linear", "average",
            "task_arithmetic", "task-arithmetic",
            "ties", "ties",
            "dare_ties", "dare-ties",
            "dare_linear", "dare-linear",
            "breadcrumbs", "breadcrumbs",
            "breadcrumbs_ties", "breadcrumbs-ties",
            "della", "della",
            "della_linear", "della-linear",
            "model_stock", "model-stock",
            "slerp", "slerp");

    /** Each method's parameters as mergekit names them (method-wide ones and per-model ones alike). */
    static final Map<String, Set<String>> PARAMETERS = Map.ofEntries(
            Map.entry("linear", Set.of("weight", "normalize")),
            Map.entry("task_arithmetic", Set.of("weight", "lambda", "normalize", "int8_mask")),
            Map.entry("ties", Set.of("weight", "density", "lambda", "normalize", "rescale", "int8_mask")),
            Map.entry("dare_ties", Set.of("weight", "density", "lambda", "normalize", "rescale", "int8_mask")),
            Map.entry("dare_linear", Set.of("weight", "density", "lambda", "normalize", "rescale", "int8_mask")),
            Map.entry("breadcrumbs", Set.of("weight", "density", "gamma", "lambda", "normalize", "rescale", "int8_mask")),
            Map.entry("breadcrumbs_ties", Set.of("weight", "density", "gamma", "lambda", "normalize", "rescale", "int8_mask")),
            Map.entry("della", Set.of("weight", "density", "epsilon", "lambda", "normalize", "rescale", "int8_mask")),
            Map.entry("della_linear", Set.of("weight", "density", "epsilon", "lambda", "normalize", "rescale", "int8_mask")),
            Map.entry("model_stock", Set.of("filter_wise")),
            Map.entry("slerp", Set.of("t")));

    /** The methods whose random drops mergekit rescales by L1-norm matching (mtflow's {@code rescale_norm: l1}). */
    static final Set<String> RANDOM_DROPS = Set.of("dare_ties", "dare_linear", "della", "della_linear");

    /** mergekit's dtype names → the safetensors dtype. */
    static final Map<String, String> DTYPES = ordered("float32", "F32", "float16", "F16", "bfloat16", "BF16");

    /** The dtype the merged model is written in: {@code out_dtype}, else {@code dtype} (mergekit's rule); null keeps the inputs'. */
    public String outputDtype() {
        return outDtype != null ? outDtype : dtype;
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put(pairs[i], pairs[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }
}
