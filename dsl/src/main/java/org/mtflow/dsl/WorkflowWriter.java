package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.mtflow.engine.spec.Durations;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.Sizes;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

/**
 * Writes a {@link WorkflowSpec} as a workflow file that {@link WorkflowLoader} loads back to an equal
 * spec: params already substituted (a literal {@code ${} in a task's text is written {@code $${}),
 * fields equal to their defaults left out.
 */
public final class WorkflowWriter {
    /** Text that YAML reads back as the same plain string, never as a number, boolean or null. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_./-]*");
    private static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "on", "off", "y", "n", "null");

    private WorkflowWriter() {}

    public static String toYaml(WorkflowSpec spec) {
        StringBuilder out = new StringBuilder();
        out.append("name: ").append(string(spec.name(), true)).append('\n');
        out.append("seed: ").append(spec.seed()).append('\n');
        if (!spec.params().isEmpty()) {
            out.append("params: ");
            // Params are not substituted when loaded, so their text is written as is.
            flow(out, spec.params(), false);
            out.append('\n');
        }
        out.append("tasks:");
        if (spec.tasks().isEmpty()) out.append(" {}");
        out.append('\n');
        for (TaskSpec t : spec.tasks()) task(out, t);
        return out.toString();
    }

    private static void task(StringBuilder out, TaskSpec t) {
        out.append("  ").append(key(t.id())).append(":\n");
        out.append("    type: ").append(string(t.type(), true)).append('\n');
        if (!t.with().isEmpty()) {
            out.append("    with: ");
            flow(out, t.with(), true);
            out.append('\n');
        }
        if (!t.inputs().isEmpty()) {
            out.append("    inputs: {");
            String sep = "";
            for (Map.Entry<String, InputBinding> e : t.inputs().entrySet()) {
                out.append(sep).append(key(e.getKey())).append(": ");
                if (e.getValue() instanceof InputBinding.Many many) {
                    boolean all = many.minSuccess() == many.list().size();
                    if (!all) out.append("{from: ");
                    out.append('[');
                    String s2 = "";
                    for (OutputRef r : many.list()) {
                        out.append(s2).append(string(r.toString(), true));
                        s2 = ", ";
                    }
                    out.append(']');
                    if (!all) out.append(", min-success: ").append(many.minSuccess()).append('}');
                } else {
                    out.append(string(e.getValue().refs().get(0).toString(), true));
                }
                sep = ", ";
            }
            out.append("}\n");
        }
        if (!t.retry().equals(RetryPolicy.NONE)) {
            RetryPolicy r = t.retry();
            out.append("    retry: {attempts: ").append(r.attempts())
                    .append(", backoff: ").append(Durations.format(r.backoff()))
                    .append(", max-backoff: ").append(Durations.format(r.maxBackoff()))
                    .append(", jitter: ").append(number(r.jitter()))
                    .append(", on: [");
            String sep = "";
            for (ErrorClass c : r.on()) {
                out.append(sep).append(c.token());
                sep = ", ";
            }
            out.append("]}\n");
        }
        if (t.timeout() != null) out.append("    timeout: ").append(Durations.format(t.timeout())).append('\n');
        if (!t.resources().equals(Resources.DEFAULT)) {
            Resources r = t.resources();
            out.append("    resources: {device: ").append(r.device().token())
                    .append(", memory: ").append(Sizes.format(r.memory()))
                    .append(", slots: ").append(r.slots()).append("}\n");
        }
        if (!t.cache()) out.append("    cache: false\n");
        if (t.when() != null) out.append("    when: ").append(string(t.when(), true)).append('\n');
    }

    /** A JSON value in YAML flow style. */
    private static void flow(StringBuilder out, JsonNode v, boolean escapeRefs) {
        if (v.isObject()) {
            out.append('{');
            String sep = "";
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                out.append(sep).append(key(e.getKey())).append(": ");
                flow(out, e.getValue(), escapeRefs);
                sep = ", ";
            }
            out.append('}');
        } else if (v.isArray()) {
            out.append('[');
            String sep = "";
            for (JsonNode i : v) {
                out.append(sep);
                flow(out, i, escapeRefs);
                sep = ", ";
            }
            out.append(']');
        } else if (v.isTextual()) {
            out.append(string(v.asText(), escapeRefs));
        } else if (v.isIntegralNumber()) {
            out.append(v.bigIntegerValue());
        } else if (v.isNumber()) {
            out.append(number(v.doubleValue()));
        } else if (v.isBoolean()) {
            out.append(v.asBoolean());
        } else if (v.isNull() || v.isMissingNode()) {
            out.append("null");
        } else {
            // Binary or POJO nodes: the loader can only give them back as text.
            out.append(string(v.asText(), escapeRefs));
        }
    }

    /** A float written so YAML reads it back as the same float (always with '.' or an exponent). */
    private static String number(double d) {
        if (!Double.isFinite(d)) throw new IllegalArgumentException("cannot write " + d + " in a workflow file");
        return Double.toString(d);
    }

    /** A map key: keys are always read as text, so only the characters decide whether to quote. */
    static String key(String s) {
        return PLAIN.matcher(s).matches() ? s : string(s, false);
    }

    /**
     * A string as a YAML scalar: plain where that reads back as the same string, else double-quoted
     * with escapes. {@code escapeRefs} doubles the {@code $} of {@code ${} so substitution leaves it.
     */
    static String string(String s, boolean escapeRefs) {
        if (escapeRefs) s = s.replace("${", "$${");
        if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT))) return s;
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1));
                    if (pair) {
                        out.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029
                            || c >= 0xfffe || c == 0xfeff || Character.isSurrogate(c)) {
                        // Characters YAML does not allow raw in a stream.
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
