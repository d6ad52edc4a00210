package org.mtflow.engine.node;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.spec.Problem;
import org.mtflow.engine.spec.Suggestions;

/**
 * Checks a task's {@code with} map against its node type's params record, and binds it. Param
 * names are the record's component names in kebab-case ({@code batchSize} → {@code batch-size}).
 * Strict: no string↔number coercion, no float where an integer is expected, no unknown keys.
 */
public final class ParamsBinder {
    private static final ObjectMapper MAPPER = strictMapper();
    /** Bound instances of params records that have no components, by record class. */
    private static final java.util.concurrent.ConcurrentHashMap<Class<?>, Record> EMPTY =
            new java.util.concurrent.ConcurrentHashMap<>();

    private ParamsBinder() {}

    /** One param of a node type, for validation, docs and the JSON schema. */
    public record ParamInfo(String name, Type javaType, boolean required, String doc) {
        public String typeName() { return ParamsBinder.typeName(javaType); }
    }

    public static List<ParamInfo> describe(Class<? extends Record> paramsType) {
        return DESCRIBED.get(paramsType); // validation asks once per task: reflect once per record class
    }

    private static final ClassValue<List<ParamInfo>> DESCRIBED = new ClassValue<>() {
        @Override
        @SuppressWarnings("unchecked")
        protected List<ParamInfo> computeValue(Class<?> type) {
            return reflect((Class<? extends Record>) type);
        }
    };

    private static List<ParamInfo> reflect(Class<? extends Record> paramsType) {
        List<ParamInfo> out = new ArrayList<>();
        for (RecordComponent c : paramsType.getRecordComponents()) {
            Doc doc = c.getAnnotation(Doc.class);
            out.add(new ParamInfo(kebab(c.getName()), c.getGenericType(), c.isAnnotationPresent(Required.class),
                    doc == null ? "" : doc.value()));
        }
        return List.copyOf(out);
    }

    /** Every problem with {@code with} for this node type; {@code path} locates the with map. */
    public static List<Problem> check(NodeType<?> type, ObjectNode with, List<Object> path) {
        List<Problem> problems = new ArrayList<>();
        Map<String, ParamInfo> params = new LinkedHashMap<>();
        for (ParamInfo p : describe(type.paramsType())) params.put(p.name(), p);
        for (Map.Entry<String, JsonNode> e : with.properties()) {
            List<Object> at = append(path, e.getKey());
            ParamInfo p = params.get(e.getKey());
            if (p == null) {
                problems.add(Problem.at(at, "unknown param '" + e.getKey() + "' for " + type.name(),
                        params.isEmpty() ? type.name() + " takes no params"
                                : Suggestions.didYouMean(e.getKey(), params.keySet())));
                continue;
            }
            try {
                MAPPER.convertValue(e.getValue(), javaType(p.javaType()));
            } catch (IllegalArgumentException ex) {
                problems.add(Problem.at(at, "param '" + p.name() + "' of " + type.name() + " expects "
                        + p.typeName() + ", got " + describeValue(e.getValue())));
            }
        }
        for (ParamInfo p : params.values()) {
            if (p.required() && !with.has(p.name())) {
                problems.add(Problem.at(path, type.name() + " needs param '" + p.name() + "' (" + p.typeName() + ")"));
            }
        }
        if (problems.isEmpty()) {
            try {
                bind(type.paramsType(), with);
            } catch (IllegalArgumentException ex) {
                problems.add(Problem.at(path, "invalid params for " + type.name() + ": " + ex.getMessage()));
            }
        }
        return problems;
    }

    /**
     * Binds {@code with} to the params record. Throws IllegalArgumentException with the record's own
     * message when its constructor rejects the values.
     */
    public static <P extends Record> P bind(Class<P> type, ObjectNode with) {
        if (with.isEmpty()) {
            // A params record without components (NoParams): one instance serves every attempt.
            Record shared = EMPTY.get(type);
            if (shared != null) return type.cast(shared);
            if (type.getRecordComponents().length == 0) {
                return type.cast(EMPTY.computeIfAbsent(type, t -> MAPPER.convertValue(with, type)));
            }
        }
        try {
            return MAPPER.convertValue(with, type);
        } catch (IllegalArgumentException e) {
            // A record constructor that rejects its values: report its message, not Jackson's wrapping.
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof ValueInstantiationException v && v.getCause() != null) {
                    throw new IllegalArgumentException(v.getCause().getMessage(), e);
                }
            }
            throw e;
        }
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    static String typeName(Type t) {
        if (t instanceof ParameterizedType pt) {
            Type raw = pt.getRawType();
            Type[] args = pt.getActualTypeArguments();
            if (raw == List.class) return "a list of " + plural(typeName(args[0]));
            if (raw == Map.class) return "a map of " + plural(typeName(args[1]));
        }
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) return "an integer";
        if (t == double.class || t == Double.class || t == float.class || t == Float.class) return "a number";
        if (t == boolean.class || t == Boolean.class) return "true or false";
        if (t == String.class) return "a string";
        if (t instanceof Class<?> c && c.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object v : c.getEnumConstants()) names.add(v.toString().toLowerCase());
            return "one of " + String.join(", ", names);
        }
        return "a " + (t instanceof Class<?> c ? c.getSimpleName() : t.getTypeName());
    }

    private static String plural(String article) {
        String s = article.replaceFirst("^(an|a) ", "");
        return s.endsWith("s") || s.startsWith("true") || s.startsWith("one of") ? s : s + "s";
    }

    private static String describeValue(JsonNode v) {
        String kind = v.isTextual() ? "string" : v.isIntegralNumber() ? "integer" : v.isNumber() ? "number"
                : v.isBoolean() ? "boolean" : v.isArray() ? "list" : v.isObject() ? "map" : "null";
        String text = v.toString();
        return kind + " " + (text.length() > 60 ? text.substring(0, 57) + "..." : text);
    }

    private static JavaType javaType(Type t) {
        return MAPPER.getTypeFactory().constructType(t);
    }

    private static List<Object> append(List<Object> path, Object key) {
        List<Object> out = new ArrayList<>(path);
        out.add(key);
        return out;
    }

    private static ObjectMapper strictMapper() {
        JsonMapper m = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // Enum values are documented (typeName) and written in lower case: "fast", not "FAST".
                .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
                .build();
        for (LogicalType lt : new LogicalType[] {LogicalType.Textual, LogicalType.Integer, LogicalType.Float,
                LogicalType.Boolean, LogicalType.Enum}) {
            for (CoercionInputShape shape : new CoercionInputShape[] {CoercionInputShape.Integer,
                    CoercionInputShape.Float, CoercionInputShape.Boolean, CoercionInputShape.String,
                    CoercionInputShape.EmptyString}) {
                boolean natural = (lt == LogicalType.Textual && shape == CoercionInputShape.String)
                        || (lt == LogicalType.Textual && shape == CoercionInputShape.EmptyString)
                        || (lt == LogicalType.Integer && shape == CoercionInputShape.Integer)
                        || (lt == LogicalType.Float && (shape == CoercionInputShape.Float || shape == CoercionInputShape.Integer))
                        || (lt == LogicalType.Boolean && shape == CoercionInputShape.Boolean)
                        || (lt == LogicalType.Enum && shape == CoercionInputShape.String);
                if (!natural) m.coercionConfigFor(lt).setCoercion(shape, CoercionAction.Fail);
            }
        }
        return m;
    }
}
