package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.ParamsBinder;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.spec.ErrorClass;

/**
 * The JSON Schema (draft 2020-12) of workflow files, for editors and CI checks: every key, and for
 * each node type of the catalog its params ({@code with}, by an if/then on {@code type}) and input names.
 *
 * <p>It describes the file as written, before {@code ${params.x}} is substituted: wherever a number,
 * boolean, list or duration goes, a whole-value param reference is accepted too. It is a first check,
 * not the loader: references between tasks, cycles and the params records' own range checks are
 * only checked by {@link WorkflowLoader}.
 */
public final class WorkflowSchema {
    public static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** Durations as {@code org.mtflow.engine.spec.Durations} reads them. */
    static final String DURATION = "^\\s*[0-9]+(\\.[0-9]+)?\\s*(ms|s|m|h|d)\\s*$";
    /** Byte sizes as {@code org.mtflow.engine.spec.Sizes} reads them. */
    static final String SIZE = "^\\s*[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?\\s*$";
    private static final String NAME = "[A-Za-z_][A-Za-z0-9_-]*";
    /** A string that is exactly one param reference, which takes the param's value and type. */
    static final String PARAM_REF = "^\\$\\{\\s*params\\.[^}]*\\}$";

    private WorkflowSchema() {}

    public static ObjectNode of(NodeCatalog catalog) {
        ObjectNode root = JSON.objectNode();
        root.put("$schema", DIALECT);
        root.put("title", "mtflow workflow");
        root.put("description", "A workflow file: named tasks, each running a node type on the outputs of others.");
        root.put("type", "object");
        root.set("required", strings(List.of("name", "tasks")));
        ObjectNode props = root.putObject("properties");
        props.set("name", describe(JSON.objectNode().put("type", "string").put("minLength", 1),
                "the workflow's name (required)"));
        props.set("seed", describe(orParam(JSON.objectNode().put("type", "integer")),
                "every random draw derives from it (default 0)"));
        props.set("params", describe(JSON.objectNode().put("type", "object"),
                "values for ${params.NAME}; mtflow --param NAME=VALUE overrides them"));
        props.set("defaults", defaults());
        props.set("outputs", describe(JSON.objectNode().put("type", "object")
                        .set("additionalProperties", ref("output-ref")),
                "the workflow's results: name -> task.output"));
        ObjectNode tasks = describe(JSON.objectNode().put("type", "object").put("minProperties", 1),
                "task id -> task; ids are letters, digits, '_' and '-', starting with a letter or '_'");
        tasks.putObject("propertyNames").put("pattern", "^" + NAME + "$");
        tasks.set("additionalProperties", ref("task"));
        props.set("tasks", tasks);
        root.put("additionalProperties", false);

        ObjectNode defs = root.putObject("$defs");
        defs.set("param-ref", describe(JSON.objectNode().put("type", "string").put("pattern", PARAM_REF),
                "a param reference standing for the whole value, e.g. \"${params.n}\""));
        defs.set("duration", orParam(describe(JSON.objectNode().put("type", "string").put("pattern", DURATION),
                "a number with a unit: 500ms, 30s, 2m, 1h or 1d")));
        defs.set("size", orParam(describe(anyOf(
                        JSON.objectNode().put("type", "integer").put("minimum", 0),
                        JSON.objectNode().put("type", "string").put("pattern", SIZE)),
                "a byte count or a size such as 512MiB, 2GiB or 1GB")));
        defs.set("output-ref", describe(JSON.objectNode().put("type", "string")
                .put("pattern", "^" + NAME + "\\." + NAME + "$"), "a task's output: task.output"));
        defs.set("input", input());
        defs.set("retry", retry());
        defs.set("resources", resources());
        defs.set("task", task(catalog));
        ObjectNode with = defs.putObject("with");
        for (NodeType<?> t : catalog.all()) with.set(t.name(), with(t));
        return root;
    }

    /** The schema as indented JSON text. */
    public static String toJson(NodeCatalog catalog) {
        return of(catalog).toPrettyString();
    }

    private static ObjectNode defaults() {
        ObjectNode d = describe(JSON.objectNode().put("type", "object"),
                "settings every task takes unless it sets its own");
        ObjectNode props = d.putObject("properties");
        props.set("retry", ref("retry"));
        props.set("timeout", ref("duration"));
        props.set("resources", ref("resources"));
        props.set("cache", bool());
        d.put("additionalProperties", false);
        return d;
    }

    private static ObjectNode task(NodeCatalog catalog) {
        ObjectNode task = JSON.objectNode().put("type", "object");
        ObjectNode props = task.putObject("properties");
        props.set("type", describe(JSON.objectNode().set("enum", strings(catalog.names())), "the node type to run"));
        props.set("with", describe(JSON.objectNode().put("type", "object"), "the node type's params"));
        props.set("inputs", describe(JSON.objectNode().put("type", "object").set("additionalProperties", ref("input")),
                "input name -> task.output, or a list of them"));
        props.set("retry", ref("retry"));
        props.set("timeout", describe(ref("duration"), "the longest one attempt may run"));
        props.set("resources", ref("resources"));
        props.set("cache", describe(bool(), "reuse a result with the same cache key (default true)"));
        props.set("foreach", describe(orParam(JSON.objectNode().put("type", "array")),
                "one copy of the task per item"));
        ObjectNode matrix = JSON.objectNode().put("type", "object");
        matrix.set("additionalProperties", orParam(JSON.objectNode().put("type", "array")));
        props.set("matrix", describe(orParam(matrix), "one copy of the task per combination: name -> list of values"));
        props.set("when", describe(JSON.objectNode().set("type", strings(List.of("string", "boolean"))),
                "the condition under which the task runs"));
        props.set("uses", describe(JSON.objectNode().put("type", "string"), "what the task reuses instead of a type"));
        task.put("additionalProperties", false);
        task.set("anyOf", JSON.arrayNode()
                .add(JSON.objectNode().set("required", strings(List.of("type"))))
                .add(JSON.objectNode().set("required", strings(List.of("uses")))));
        ArrayNode perType = task.putArray("allOf");
        for (NodeType<?> t : catalog.all()) {
            ObjectNode rule = perType.addObject();
            ObjectNode ifType = rule.putObject("if");
            ifType.putObject("properties").putObject("type").put("const", t.name());
            ifType.set("required", strings(List.of("type")));
            ObjectNode then = rule.putObject("then");
            ObjectNode thenProps = then.putObject("properties");
            thenProps.set("with", JSON.objectNode().put("$ref", "#/$defs/with/" + t.name()));
            thenProps.putObject("inputs").putObject("propertyNames")
                    .set("enum", strings(t.inputs().stream().map(Port::name).toList()));
            boolean needsWith = ParamsBinder.describe(t.paramsType()).stream().anyMatch(ParamsBinder.ParamInfo::required);
            if (needsWith) then.set("required", strings(List.of("with")));
        }
        return task;
    }

    /** A node type's params record as the schema of its {@code with} map. */
    private static ObjectNode with(NodeType<?> type) {
        ObjectNode with = describe(JSON.objectNode().put("type", "object"), type.description());
        ObjectNode props = with.putObject("properties");
        ArrayNode required = JSON.arrayNode();
        for (ParamsBinder.ParamInfo p : ParamsBinder.describe(type.paramsType())) {
            ObjectNode param = value(p.javaType());
            if (!p.doc().isEmpty()) param.put("description", p.doc());
            props.set(p.name(), param);
            if (p.required()) required.add(p.name());
        }
        if (!required.isEmpty()) with.set("required", required);
        with.put("additionalProperties", false);
        return with;
    }

    /** The schema of a value of a Java type as the params binder reads it (strict: no coercion). */
    private static ObjectNode value(Type t) {
        if (t instanceof ParameterizedType pt && pt.getRawType() == List.class) {
            return orParam(JSON.objectNode().put("type", "array").set("items", value(pt.getActualTypeArguments()[0])));
        }
        if (t instanceof ParameterizedType pt && pt.getRawType() == Map.class) {
            return orParam(JSON.objectNode().put("type", "object")
                    .set("additionalProperties", value(pt.getActualTypeArguments()[1])));
        }
        if (t == int.class || t == long.class || t == short.class || t == byte.class) return orParam(typed("integer", false));
        if (t == Integer.class || t == Long.class || t == Short.class || t == Byte.class) return orParam(typed("integer", true));
        if (t == double.class || t == float.class) return orParam(typed("number", false));
        if (t == Double.class || t == Float.class) return orParam(typed("number", true));
        if (t == boolean.class) return orParam(typed("boolean", false));
        if (t == Boolean.class) return orParam(typed("boolean", true));
        // A param reference is itself a string, so strings need no alternative.
        if (t == String.class) return typed("string", true);
        if (t instanceof Class<?> c && c.isEnum()) {
            ArrayNode names = JSON.arrayNode();
            for (Object v : c.getEnumConstants()) names.add(v.toString().toLowerCase(Locale.ROOT));
            return orParam(JSON.objectNode().set("enum", names));
        }
        // Object, JsonNode and other open types: any JSON value.
        return JSON.objectNode();
    }

    /** Boxed types may be null: the record then applies its default. */
    private static ObjectNode typed(String type, boolean nullable) {
        return nullable ? JSON.objectNode().set("type", strings(List.of(type, "null"))) : JSON.objectNode().put("type", type);
    }

    private static ObjectNode input() {
        ObjectNode partial = JSON.objectNode().put("type", "object");
        ObjectNode props = partial.putObject("properties");
        props.set("from", JSON.objectNode().put("type", "array").set("items", ref("output-ref")));
        props.set("min-success", describe(orParam(JSON.objectNode().put("type", "integer").put("minimum", 1)),
                "the least number of the listed outputs that must succeed"));
        partial.set("required", strings(List.of("from")));
        partial.put("additionalProperties", false);
        return describe(anyOf(ref("output-ref"),
                        JSON.objectNode().put("type", "array").set("items", ref("output-ref")),
                        partial),
                "task.output, a list of them, or {from: [...], min-success: k}");
    }

    private static ObjectNode retry() {
        ObjectNode r = describe(JSON.objectNode().put("type", "object"), "when and how often to try a failed task again");
        ObjectNode props = r.putObject("properties");
        props.set("attempts", orParam(JSON.objectNode().put("type", "integer")));
        props.set("backoff", ref("duration"));
        props.set("max-backoff", ref("duration"));
        props.set("jitter", orParam(JSON.objectNode().put("type", "number")));
        ObjectNode errorClass = JSON.objectNode().set("enum",
                strings(Arrays.stream(ErrorClass.values()).map(ErrorClass::token).toList()));
        props.set("on", describe(anyOf(errorClass, JSON.objectNode().put("type", "array").set("items", errorClass)),
                "the error classes to retry"));
        r.put("additionalProperties", false);
        return r;
    }

    private static ObjectNode resources() {
        ObjectNode r = describe(JSON.objectNode().put("type", "object"), "what the device must offer");
        ObjectNode props = r.putObject("properties");
        props.set("device", JSON.objectNode().set("enum",
                strings(Arrays.stream(DeviceSelector.values()).map(DeviceSelector::token).toList())));
        props.set("memory", ref("size"));
        props.set("slots", orParam(JSON.objectNode().put("type", "integer")));
        r.put("additionalProperties", false);
        return r;
    }

    private static ObjectNode bool() {
        return orParam(JSON.objectNode().put("type", "boolean"));
    }

    private static ObjectNode orParam(ObjectNode schema) {
        return anyOf(schema, ref("param-ref"));
    }

    private static ObjectNode anyOf(JsonNode... schemas) {
        ObjectNode out = JSON.objectNode();
        ArrayNode any = out.putArray("anyOf");
        for (JsonNode s : schemas) any.add(s);
        return out;
    }

    private static ObjectNode ref(String def) {
        return JSON.objectNode().put("$ref", "#/$defs/" + def);
    }

    private static ObjectNode describe(ObjectNode schema, String description) {
        schema.put("description", description);
        return schema;
    }

    private static ArrayNode strings(java.util.Collection<String> values) {
        ArrayNode out = JSON.arrayNode();
        values.forEach(out::add);
        return out;
    }
}
