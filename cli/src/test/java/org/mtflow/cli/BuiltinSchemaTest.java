package org.mtflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.dsl.WorkflowSchema;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.nodes.BuiltinNodes;

/** The schema 'mtflow schema' prints, against the built-in node types and the repository's workflow files. */
class BuiltinSchemaTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final ObjectNode SCHEMA = WorkflowSchema.of(BuiltinNodes.catalog());
    private static final Schema VALIDATOR =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(SCHEMA);
    private static final YAMLMapper YAML = new YAMLMapper();

    @Test
    void coversEveryBuiltinNodeTypeWithItsDocumentedParams() {
        List<String> types = new ArrayList<>();
        SCHEMA.at("/$defs/task/properties/type/enum").forEach(t -> types.add(t.asText()));
        assertEquals(List.copyOf(BuiltinNodes.catalog().names()), types);
        assertEquals(types.size(), SCHEMA.at("/$defs/task/allOf").size());
        for (NodeType<?> t : BuiltinNodes.catalog().all()) {
            JsonNode with = SCHEMA.get("$defs").get("with").get(t.name());
            for (ParamsBinder.ParamInfo p : ParamsBinder.describe(t.paramsType())) {
                JsonNode param = with.get("properties").get(p.name());
                assertEquals(p.doc(), param.path("description").asText(), t.name() + " " + p.name());
            }
            assertEquals(ParamsBinder.describe(t.paramsType()).size(), with.get("properties").size(), t.name());
        }
    }

    /** Every workflow file here that the loader accepts, the schema accepts too. */
    @Test
    void acceptsTheSamplesAndTheValidTestWorkflows() throws Exception {
        List<Path> files = new ArrayList<>(List.of(REPO.resolve("samples/hello.yaml")));
        try (Stream<Path> s = Files.list(REPO.resolve("test/src/test/resources/workflows"))) {
            s.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(files::add);
        }
        int valid = 0;
        for (Path f : files) {
            boolean loads;
            try {
                WorkflowLoader.load(f, Map.of(), BuiltinNodes.catalog(), null);
                loads = true;
            } catch (SpecException e) {
                loads = false;
            }
            if (!loads) continue;
            valid++;
            assertEquals(List.of(), VALIDATOR.validate(YAML.readTree(f.toFile())), f.toString());
        }
        assertTrue(valid >= 7, "only " + valid + " of " + files.size() + " files load");
    }

    @Test
    void rejectsTheInvalidOnesItCanSee() throws Exception {
        for (String name : List.of("unknown-key.yaml", "unknown-type.yaml", "all-wrong.yaml")) {
            Path f = REPO.resolve("test/src/test/resources/workflows").resolve(name);
            assertFalse(VALIDATOR.validate(YAML.readTree(f.toFile())).isEmpty(), name);
        }
    }

    @Test
    void rejectsAWrongParamType() throws Exception {
        String hello = Files.readString(REPO.resolve("samples/hello.yaml"));
        String wrong = hello.replace("with: {shape: [\"${params.size}\", \"${params.size}\"]}", "with: {shape: wide}");
        assertFalse(hello.equals(wrong));
        assertEquals(List.of("/tasks/a/with/shape", "/tasks/b/with/shape"), VALIDATOR.validate(YAML.readTree(wrong)).stream()
                .map(e -> e.getInstanceLocation().toString()).distinct().toList());
    }
}
