package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.WorkflowSpec;

class WorkflowSchemaTest {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final ObjectNode SCHEMA = WorkflowSchema.of(TestNodes.catalog());
    private static final Schema VALIDATOR = REGISTRY.getSchema(SCHEMA);
    /** Keys the schema knows ahead of the loader, while they are being added to it. */
    private static final Set<String> PENDING = Set.of("defaults", "outputs", "foreach", "matrix", "when", "uses");

    /** The file as the schema sees it: the YAML tree before params are substituted. */
    static JsonNode instance(String yaml) {
        try {
            return YamlReader.read(yaml).root().toJson();
        } catch (YamlReader.SyntaxError e) {
            throw new AssertionError(e.diagnostic.text());
        }
    }

    static List<Error> errors(String yaml) {
        return VALIDATOR.validate(instance(yaml));
    }

    @Test
    void theSchemaIsValidDraft202012() throws Exception {
        Schema meta = REGISTRY.getSchema(SchemaLocation.of(WorkflowSchema.DIALECT));
        assertEquals(List.of(), meta.validate(SCHEMA));
        assertEquals(WorkflowSchema.DIALECT, SCHEMA.get("$schema").asText());
        // Printed text parses back to the same schema.
        assertEquals(SCHEMA, new ObjectMapper().readTree(WorkflowSchema.toJson(TestNodes.catalog())));
    }

    @Test
    void describesEveryParamOfEveryNodeType() {
        JsonNode types = SCHEMA.at("/$defs/task/properties/type/enum");
        List<String> names = new ArrayList<>();
        types.forEach(t -> names.add(t.asText()));
        assertEquals(List.copyOf(TestNodes.catalog().names()), names);
        for (NodeType<?> t : TestNodes.catalog().all()) {
            JsonNode with = SCHEMA.get("$defs").get("with").get(t.name());
            assertEquals(t.description(), with.get("description").asText(), t.name());
            List<String> params = new ArrayList<>();
            with.get("properties").fieldNames().forEachRemaining(params::add);
            List<String> required = new ArrayList<>();
            if (with.has("required")) with.get("required").forEach(r -> required.add(r.asText()));
            assertEquals(ParamsBinder.describe(t.paramsType()).stream().map(ParamsBinder.ParamInfo::name).toList(), params, t.name());
            assertEquals(ParamsBinder.describe(t.paramsType()).stream().filter(ParamsBinder.ParamInfo::required)
                    .map(ParamsBinder.ParamInfo::name).toList(), required, t.name());
        }
        assertEquals("array", SCHEMA.at("/$defs/with/t.source/properties/shape/anyOf/0/type").asText());
        assertEquals("integer", SCHEMA.at("/$defs/with/t.source/properties/shape/anyOf/0/items/anyOf/0/type/0").asText());
        assertEquals("number", SCHEMA.at("/$defs/with/t.sum/properties/scale/anyOf/0/type/0").asText());
    }

    /** Every key the loader reads is in the schema; the schema has no other key but those being added. */
    @Test
    void knowsTheLoadersKeys() {
        checkKeys(WorkflowLoader.TOP_KEYS, SCHEMA.get("properties"));
        checkKeys(WorkflowLoader.TASK_KEYS, SCHEMA.at("/$defs/task/properties"));
        checkKeys(WorkflowLoader.RETRY_KEYS, SCHEMA.at("/$defs/retry/properties"));
        checkKeys(WorkflowLoader.RESOURCE_KEYS, SCHEMA.at("/$defs/resources/properties"));
        checkKeys(WorkflowLoader.INPUT_KEYS, SCHEMA.at("/$defs/input/anyOf/2/properties"));
    }

    private static void checkKeys(List<String> loader, JsonNode properties) {
        Set<String> schema = new LinkedHashSet<>();
        properties.fieldNames().forEachRemaining(schema::add);
        assertTrue(schema.containsAll(loader), loader + " vs " + schema);
        for (String k : schema) assertTrue(loader.contains(k) || PENDING.contains(k), "schema key '" + k + "' the loader does not know");
    }

    @Test
    void acceptsTheLoadersExamples() {
        assertEquals(List.of(), errors(WorkflowLoaderTest.HELLO));
        assertEquals(List.of(), errors(WorkflowLoaderTest.MERGE));
        assertEquals(List.of(), errors(ParamsTest.FLOW));
    }

    /** Random valid specs, as the writer writes them, are valid files for the schema. */
    @Test
    void acceptsRandomValidSpecs() throws SpecException {
        long base = 0x5c4e_3a11L;
        for (int i = 0; i < 200; i++) {
            WorkflowSpec spec = new WorkflowWriterTest.RandomSpecs(new Random(base + i)).spec();
            String yaml = WorkflowWriter.toYaml(spec);
            WorkflowLoaderTest.load(yaml); // the loader agrees that it is valid
            assertEquals(List.of(), errors(yaml), "seed " + (base + i) + ":\n" + yaml);
        }
    }

    /** One change to a valid file, and where the schema must see it. */
    private record Mutation(String from, String to, String at) {}

    @Test
    void rejectsWhatTheLoaderRejectsAtThatPlace() {
        String valid = """
                name: m
                params: {n: 3, t: 2s}
                tasks:
                  a: {type: t.source, with: {shape: [2, "${params.n}"], seed: 5}}
                  b:
                    type: t.sum
                    with: {scale: 0.5, label: x}
                    inputs: {values: {from: [a.tensor, a.tensor], min-success: 1}}
                    retry: {attempts: 3, backoff: 10ms, on: [transient]}
                    timeout: "${params.t}"
                    resources: {device: jvm, memory: 2GiB, slots: 1}
                    cache: false
                """;
        assertEquals(List.of(), errors(valid));
        List<Mutation> mutations = List.of(
                new Mutation("shape: [2, ", "shape: [\"2\", ", "/tasks/a/with/shape/0"),
                new Mutation("scale: 0.5", "scale: half", "/tasks/b/with/scale"),
                new Mutation("label: x", "label: 3", "/tasks/b/with/label"),
                new Mutation("seed: 5", "seed: 5.5", "/tasks/a/with/seed"),
                new Mutation("seed: 5", "sede: 5", "/tasks/a/with"),
                new Mutation("with: {shape: [2, \"${params.n}\"], seed: 5}", "with: {seed: 5}", "/tasks/a/with"),
                new Mutation("{type: t.source, with: {shape: [2, \"${params.n}\"], seed: 5}}", "{type: t.source}", "/tasks/a"),
                new Mutation("type: t.sum", "type: t.sun", "/tasks/b/type"),
                new Mutation("cache: false", "cash: false", "/tasks/b"),
                new Mutation("cache: false", "cache: \"no\"", "/tasks/b/cache"),
                new Mutation("backoff: 10ms", "backoff: 10", "/tasks/b/retry/backoff"),
                new Mutation("backoff: 10ms", "backoff: soon", "/tasks/b/retry/backoff"),
                new Mutation("on: [transient]", "on: [transiant]", "/tasks/b/retry/on"),
                new Mutation("device: jvm", "device: tpu", "/tasks/b/resources/device"),
                new Mutation("memory: 2GiB", "memory: 2 gigs", "/tasks/b/resources/memory"),
                new Mutation("min-success: 1", "min-success: 0", "/tasks/b/inputs/values"),
                new Mutation("values: {", "valus: {", "/tasks/b/inputs"),
                new Mutation("[a.tensor, a.tensor]", "[a.tensor, a]", "/tasks/b/inputs/values"),
                new Mutation("name: m", "nom: m", ""),
                new Mutation("  a: {", "  a.b: {", "/tasks"));
        for (Mutation m : mutations) {
            assertTrue(valid.contains(m.from()), m.from());
            List<Error> errors = errors(valid.replace(m.from(), m.to()));
            assertFalse(errors.isEmpty(), m + " was accepted");
            assertTrue(errors.stream().anyMatch(e -> e.getInstanceLocation().toString().replace("$", "")
                            .replace("[", ".").replace("]", "").replace(".", "/").equals(m.at())),
                    m + ": " + errors.stream().map(e -> e.getInstanceLocation() + " " + e.getMessage()).toList());
        }
    }
}
