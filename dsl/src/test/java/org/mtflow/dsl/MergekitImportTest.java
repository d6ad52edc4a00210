package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

class MergekitImportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> NODE_TYPES = Map.ofEntries(
            Map.entry("linear", "merge.average"), Map.entry("task_arithmetic", "merge.task-arithmetic"),
            Map.entry("ties", "merge.ties"), Map.entry("dare_ties", "merge.dare-ties"), Map.entry("dare_linear", "merge.dare-linear"),
            Map.entry("breadcrumbs", "merge.breadcrumbs"), Map.entry("breadcrumbs_ties", "merge.breadcrumbs-ties"),
            Map.entry("della", "merge.della"), Map.entry("della_linear", "merge.della-linear"),
            Map.entry("model_stock", "merge.model-stock"), Map.entry("slerp", "merge.slerp"));

    @TempDir
    Path dir;

    private Path model(String name) throws IOException {
        return Files.createDirectories(dir.resolve(name));
    }

    private MergekitImport.Translation translate(String yaml) throws SpecException {
        return MergekitImport.translate(yaml, "merge.yml", dir.resolve("out"), dir);
    }

    private List<String> errors(String yaml) {
        return assertThrows(SpecException.class, () -> translate(yaml)).lines();
    }

    @Test
    void everyMethodMapsToItsNodeWithTheModelsAsInputs() throws Exception {
        for (String m : List.of("base", "a", "b", "c")) model(m);
        for (var e : NODE_TYPES.entrySet()) {
            String method = e.getKey();
            boolean slerp = method.equals("slerp"), linear = method.equals("linear");
            List<String> merged = slerp ? List.of("a") : List.of("a", "b", "c");
            StringBuilder yaml = new StringBuilder("merge_method: " + method + "\nbase_model: base\nmodels:\n  - model: base\n");
            for (String m : merged) yaml.append("  - model: ").append(m).append('\n');
            if (slerp) yaml.append("parameters: {t: 0.3}\n");
            WorkflowSpec spec = translate(yaml.toString()).spec();

            TaskSpec merge = spec.task(MergekitImport.MERGE_TASK).orElseThrow();
            assertEquals(e.getValue(), merge.type(), method);
            assertEquals(dir.resolve("out").toString(), merge.with().get("output").asText(), method);
            assertFalse(merge.cache(), method + ": a run always writes the output directory");
            // linear merges every listed model, the base's entry included, and has no base input;
            // the others leave the base out of the merged models, as mergekit does
            List<String> ids = new ArrayList<>();
            List<String> paths = new ArrayList<>();
            if (linear) {
                ids.add("model-0");
                paths.add("base");
            }
            for (int i = 0; i < merged.size(); i++) {
                ids.add("model-" + (i + 1));
                paths.add(merged.get(i));
            }
            assertEquals(new InputBinding.Many(ids.stream().map(id -> new OutputRef(id, "model")).toList()), merge.inputs().get("models"), method);
            assertEquals(linear ? null : new InputBinding.One(new OutputRef("base", "model")), merge.inputs().get("base"), method);
            for (int i = 0; i < ids.size(); i++) {
                TaskSpec t = spec.task(ids.get(i)).orElseThrow();
                assertEquals("model.hf", t.type());
                assertEquals(dir.resolve(paths.get(i)).toString(), t.with().get("path").asText(), method);
                assertFalse(t.cache());
            }
            assertEquals(linear, spec.task("base").isEmpty(), method);
            if (!linear) assertEquals(dir.resolve("base").toString(), spec.task("base").orElseThrow().with().get("path").asText());
            assertEquals(ids.size() + 1 + (linear ? 0 : 1), spec.tasks().size(), method);
            // mergekit rescales DARE/DELLA drops by L1-norm matching
            boolean drops = method.startsWith("dare") || method.startsWith("della");
            assertEquals(drops ? "l1" : null, merge.with().get("parameters").path("rescale_norm").textValue(), method);
        }
    }

    /** Per-model weights, densities, gradients and filter lists, drawn at random, reach the merge node unchanged. */
    @Test
    void parametersPassThroughPerModelWithGradientsAndFilters() throws Exception {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        model("base");
        int n = 2 + r.nextInt(4);
        List<Map<String, Object>> perModel = new ArrayList<>();
        StringBuilder yaml = new StringBuilder("merge_method: ties\nbase_model: base\nmodels:\n");
        for (int i = 0; i < n; i++) {
            model("m" + i);
            Map<String, Object> p = new java.util.LinkedHashMap<>();
            switch (r.nextInt(3)) {
                case 0 -> p.put("weight", r.nextDouble());
                case 1 -> p.put("weight", List.of(r.nextDouble(), r.nextDouble(), r.nextDouble()));
                default -> p.put("weight", List.of(Map.of("filter", "mlp", "value", r.nextDouble()),
                        Map.of("filter", "self_attn", "value", List.of(r.nextDouble(), r.nextDouble())), Map.of("value", r.nextDouble())));
            }
            if (r.nextBoolean()) p.put("density", r.nextDouble());
            perModel.add(p);
            yaml.append("  - model: m").append(i).append("\n    parameters: ").append(JSON.writeValueAsString(p)).append('\n');
        }
        double lambda = r.nextDouble();
        yaml.append("parameters:\n  normalize: false\n  int8_mask: true\n  lambda: ").append(lambda)
                .append("\n  density: [1, 0.7, 0.1]\n");
        yaml.append("dtype: float16\n");

        MergekitImport.Translation t = translate(yaml.toString());
        ObjectNode with = t.spec().task("merge").orElseThrow().with();
        String context = "seed " + seed + ", config:\n" + yaml;
        JsonNode expectedGlobal = JSON.readTree("{\"normalize\": false, \"lambda\": " + lambda + ", \"density\": [1, 0.7, 0.1]}");
        assertEquals(expectedGlobal, with.get("parameters"), context);
        assertEquals(JSON.valueToTree(perModel), with.get("model-parameters"), context);
        assertEquals("F16", with.get("dtype").asText(), context);
        assertEquals(1, t.notes().size(), context);
        assertTrue(t.notes().get(0).startsWith("merge.yml:" + (3 + 2 * n + 3) + ":3: note: int8_mask is dropped"), t.notes().get(0));
        // the record Jackson bound holds the same values
        assertEquals(n, t.config().models().size());
        assertEquals(new YAMLMapper().valueToTree(perModel.get(n - 1).get("weight")), t.config().models().get(n - 1).parameters().get("weight"));
    }

    @Test
    void modelsWithoutParametersGiveNoModelParametersAndOutDtypeWinsOverDtype() throws Exception {
        model("base");
        model("a");
        model("b");
        ObjectNode with = translate("merge_method: task_arithmetic\nbase_model: base\nmodels: [{model: a}, {model: b}]\n"
                + "dtype: float32\nout_dtype: bfloat16\n").spec().task("merge").orElseThrow().with();
        assertFalse(with.has("model-parameters"));
        assertEquals("BF16", with.get("dtype").asText());
        assertEquals(JSON.createObjectNode(), with.get("parameters"));
        ObjectNode noOutput = MergekitImport.translate("merge_method: linear\nmodels: [{model: a}, {model: b}]\n", "m.yml", null, dir)
                .spec().task("merge").orElseThrow().with();
        assertFalse(noOutput.has("output"), "without --output the model stays in the store");
        assertFalse(noOutput.has("dtype"), "without dtype the inputs' dtypes are kept");
    }

    @Test
    void theBaseModelsOwnParametersAreIgnoredWithANote() throws Exception {
        model("base");
        model("a");
        MergekitImport.Translation t = translate("merge_method: ties\nbase_model: base\nmodels:\n  - model: ./base/\n    parameters: {weight: 0.5}\n"
                + "  - model: a\n    parameters: {weight: 0.7}\n");
        assertEquals(JSON.readTree("[{\"weight\": 0.7}]"), t.spec().task("merge").orElseThrow().with().get("model-parameters"));
        assertEquals(List.of("merge.yml:5:5: note: the base model's parameters are ignored (it is not one of the models merged onto it,"
                + " as in mergekit)"), t.notes());
    }

    @Test
    void anUnknownMethodListsTheSupportedOnes() throws Exception {
        model("a");
        List<String> e = errors("models: [{model: a}]\nmerge_method: tise\n");
        assertEquals(1, e.size(), e.toString());
        assertTrue(e.get(0).startsWith("merge.yml:2:15: error: merge_method 'tise' is not supported (did you mean 'ties'?"), e.get(0));
        assertTrue(e.get(0).contains("mtflow imports linear, task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs, breadcrumbs_ties,"
                + " della, della_linear, model_stock, slerp"), e.get(0));
        assertTrue(errors("models: [{model: a}]\nmerge_method: passthrough\n").get(0).contains("'passthrough' is not supported"));
    }

    @Test
    void missingPiecesAreReportedAtTheirPlaceWithTheFix() throws Exception {
        model("base");
        model("a");
        model("b");
        assertEquals(List.of("merge.yml:1:1: error: models is missing: list the models to merge, each as '- model: DIR'"
                + " (a local Hugging Face model directory)"), errors("merge_method: linear\n"));
        assertEquals(List.of("merge.yml:1:1: error: merge_method ties needs base_model: the model the others were fine-tuned from"
                + " (add 'base_model: DIR')"), errors("merge_method: ties\nmodels: [{model: a}]\n"));
        List<String> slerp = errors("merge_method: slerp\nbase_model: base\nmodels: [{model: a}, {model: b}]\nparameters: {t: 0.5}\n");
        assertEquals(List.of("merge.yml:3:1: error: slerp interpolates between base_model and exactly one other model; models lists 2"
                + " besides the base"), slerp);
        assertTrue(errors("merge_method: slerp\nbase_model: base\nmodels: [{model: a}]\n").get(0).contains("slerp needs parameters: {t: …}"));
        assertTrue(errors("merge_method: model_stock\nbase_model: base\nmodels: [{model: a}]\n").get(0)
                .contains("model_stock needs at least two models besides base_model; models lists 1"));
        List<String> missing = errors("merge_method: linear\nmodels:\n  - model: a\n  - model: org/remote-model\n");
        assertEquals(1, missing.size());
        assertTrue(missing.get(0).startsWith("merge.yml:4:12: error: no model directory 'org/remote-model' (" + dir.resolve("org/remote-model")
                + "); mtflow reads local Hugging Face model directories"), missing.get(0));
        assertTrue(missing.get(0).contains("huggingface-cli download ORG/NAME --local-dir DIR"));
        assertTrue(errors("merge_method: linear\nmodels: [a, b]\n").get(0)
                .startsWith("merge.yml:2:10: error: each entry of models must be a map with 'model: DIR'"));
    }

    @Test
    void badParametersAndKeysNameTheParameterAndTheFix() throws Exception {
        model("base");
        model("a");
        String head = "merge_method: ties\nbase_model: base\n";
        assertEquals(List.of("merge.yml:4:38: error: bad parameter 'density': write a number, a gradient over layers like [0.2, 1.0], or a"
                        + " list like [{filter: mlp, value: 0.5}, {value: 1.0}]; got string 'high'"),
                errors(head + "models:\n  - {model: a, parameters: {density: high}}\n"));
        List<String> unknown = errors(head + "models: [{model: a}]\nparameters:\n  densty: 0.5\n");
        assertEquals(1, unknown.size());
        assertTrue(unknown.get(0).startsWith("merge.yml:5:3: error: merge_method ties has no parameter 'densty' (did you mean 'density'?"),
                unknown.get(0));
        assertTrue(errors(head + "models: [{model: a}]\nparameters: {normalize: 1}\n").get(0)
                .contains("bad parameter 'normalize': write true or false"));
        assertTrue(errors(head + "models: [{model: a}]\nparameters:\n  weight: [{filter: mlp}]\n").get(0)
                .contains("a filter entry needs a value"));
        assertTrue(errors(head + "models:\n  - {model: a, parameters: {lambda: 2}}\n").get(0)
                .contains("'lambda' is method-wide: move it to the top-level parameters"));
        List<String> slices = errors("merge_method: linear\nslices:\n  - sources: []\n");
        assertEquals(List.of("merge.yml:1:1: error: models is missing: list the models to merge, each as '- model: DIR' (a local Hugging"
                + " Face model directory)", "merge.yml:2:1: error: 'slices' is not imported: layer slices are not supported: merge whole"
                + " models (list them under 'models')"), slices);
        assertTrue(errors(head + "models: [{model: a}]\ndtype: int8\n").get(0)
                .contains("dtype 'int8' is not a dtype mtflow writes: use float32, float16, bfloat16"));
    }

    @Test
    void detectsMergekitConfigsByMergeMethod() {
        assertTrue(MergekitImport.isConfig("merge_method: ties\nmodels: []\n"));
        assertFalse(MergekitImport.isConfig("name: w\ntasks: {}\n"));
        assertFalse(MergekitImport.isConfig("name: w\nmerge_method: x\ntasks: {}\n"));
        assertFalse(MergekitImport.isConfig("[unclosed"));
        assertEquals("mergekit-my-merge", MergekitImport.workflowName("/x/my.merge.yml"));
    }
}
