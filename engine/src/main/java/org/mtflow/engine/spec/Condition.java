package org.mtflow.engine.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A task's {@code when:} expression: literals ({@code 0.9}, {@code 'text'}, {@code true},
 * {@code null}), references to finished tasks ({@code ${tasks.eval.metrics.accuracy}},
 * {@code ${tasks.eval.status}}), comparisons ({@code == != < <= > >=}), {@code and or not} (also
 * {@code && || !}) and parentheses. Nothing else: no arithmetic, no calls, no reflection.
 * {@link #toString()} prints the canonical text, which parses back to an equal tree.
 */
public sealed interface Condition {

    /** A number, kept exact (so {@code 0.1} is 0.1, and printing it reads back the same). */
    record Num(BigDecimal value) implements Condition {
        @Override public String toString() { return value.toString(); }
    }

    record Str(String value) implements Condition {
        @Override public String toString() { return quote(value); }
    }

    record Bool(boolean value) implements Condition {
        @Override public String toString() { return Boolean.toString(value); }
    }

    record Null() implements Condition {
        @Override public String toString() { return "null"; }
    }

    /**
     * {@code ${tasks.<task>.metrics.<name>}} or {@code ${tasks.<task>.status}} (then {@code name} is null).
     * A status is {@code succeeded} (also when cached or recovered), {@code failed} or {@code skipped}.
     */
    record Ref(String task, String field, String name) implements Condition {
        public static final String METRICS = "metrics", STATUS = "status";

        /** The reference without its {@code ${}}, e.g. {@code tasks.eval.metrics.accuracy}. */
        public String path() { return "tasks." + task + "." + field + (name == null ? "" : "." + name); }

        @Override public String toString() { return "${" + path() + "}"; }
    }

    record Not(Condition operand) implements Condition {
        @Override public String toString() {
            return "not " + (operand instanceof And || operand instanceof Or ? "(" + operand + ")" : operand);
        }
    }

    record And(Condition left, Condition right) implements Condition {
        @Override public String toString() { return side(left, And.class) + " and " + wrapUnless(right, 2); }
    }

    record Or(Condition left, Condition right) implements Condition {
        @Override public String toString() { return side(left, Or.class) + " or " + wrapUnless(right, 1); }
    }

    record Compare(Op op, Condition left, Condition right) implements Condition {
        @Override public String toString() { return operand(left) + " " + op.symbol + " " + operand(right); }
    }

    enum Op {
        EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">=");

        public final String symbol;

        Op(String symbol) { this.symbol = symbol; }
    }

    /** A syntax error; {@code column} counts from 1 inside the expression text. */
    final class ParseException extends Exception {
        public final int column;

        ParseException(int column, String message) {
            super(message);
            this.column = column;
        }
    }

    /** The expression cannot be evaluated: a missing metric, or values of types that do not compare. */
    final class EvaluationException extends Exception {
        EvaluationException(String message) {
            super(message);
        }
    }

    static Condition parse(String text) throws ParseException {
        return new Parser(text).parseAll();
    }

    /** The tasks the expression refers to, in order of first mention. */
    default Set<String> tasks() {
        Set<String> out = new LinkedHashSet<>();
        collect(this, out, false);
        return out;
    }

    /** The tasks whose metrics it reads: they must have succeeded for it to be evaluated. */
    default Set<String> metricTasks() {
        Set<String> out = new LinkedHashSet<>();
        collect(this, out, true);
        return out;
    }

    /** The references, in order of appearance. */
    default List<Ref> refs() {
        List<Ref> out = new ArrayList<>();
        refs(this, out);
        return out;
    }

    /**
     * Evaluates it; {@code and}/{@code or} stop at the first operand that decides them.
     *
     * @param lookup a reference's value (a number, string, boolean or null node), or null when the
     *               referenced metric does not exist
     */
    default boolean evaluate(Function<Ref, JsonNode> lookup) throws EvaluationException {
        Object v = Evaluation.value(this, lookup);
        if (v instanceof Boolean b) return b;
        throw new EvaluationException("the expression must be true or false, but it is " + Evaluation.describe(v));
    }

    private static void collect(Condition c, Set<String> out, boolean metricsOnly) {
        for (Ref r : c.refs()) if (!metricsOnly || r.field().equals(Ref.METRICS)) out.add(r.task());
    }

    private static void refs(Condition c, List<Ref> out) {
        if (c instanceof Ref r) {
            out.add(r);
        } else if (c instanceof Not n) {
            refs(n.operand(), out);
        } else if (c instanceof And a) {
            refs(a.left(), out);
            refs(a.right(), out);
        } else if (c instanceof Or o) {
            refs(o.left(), out);
            refs(o.right(), out);
        } else if (c instanceof Compare cmp) {
            refs(cmp.left(), out);
            refs(cmp.right(), out);
        }
    }

    /** Binding strength for printing: or 1, and 2, not 3, comparison 4, the rest 5. */
    private static int strength(Condition c) {
        if (c instanceof Or) return 1;
        if (c instanceof And) return 2;
        if (c instanceof Not) return 3;
        if (c instanceof Compare) return 4;
        return 5;
    }

    /** The left operand of and/or: the same operator chains without parentheses. */
    private static String side(Condition c, Class<?> same) {
        return same.isInstance(c) || strength(c) > (same == And.class ? 2 : 1) ? c.toString() : "(" + c + ")";
    }

    /** The right operand of and/or: only stronger-binding ones go bare (both are left-associative). */
    private static String wrapUnless(Condition c, int level) {
        return strength(c) > level ? c.toString() : "(" + c + ")";
    }

    /** Comparisons do not chain, and bind tighter than not/and/or: only atoms go bare. */
    private static String operand(Condition c) {
        return strength(c) == 5 ? c.toString() : "(" + c + ")";
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder("'");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\'' -> out.append("\\'");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
        return out.append('\'').toString();
    }

    /** Recursive descent over the text; each error names the column where it is found. */
    final class Parser {
        private static final Pattern NUMBER = Pattern.compile("-?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
        private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
        private static final Pattern TASK_ID = TaskSpec.ID;
        private static final Pattern METRIC = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./-]*");
        private static final String HINT = "write a comparison such as ${tasks.eval.metrics.accuracy} < 0.9";

        private final String text;
        private int pos;

        private Parser(String text) {
            this.text = text;
        }

        Condition parseAll() throws ParseException {
            skipSpace();
            if (pos == text.length()) throw error(pos, "the expression is empty (" + HINT + ")");
            Condition c = or();
            skipSpace();
            if (pos < text.length()) {
                String rest = peekToken();
                if (rest.matches("==|!=|<=?|>=?")) {
                    throw error(pos, "comparisons do not chain: '" + rest + "' after a comparison (join them with 'and')");
                }
                throw error(pos, "unexpected '" + rest + "' (expected 'and', 'or' or the end of the expression)");
            }
            return c;
        }

        private Condition or() throws ParseException {
            Condition left = and();
            while (take("||") || takeWord("or")) left = new Or(left, and());
            return left;
        }

        private Condition and() throws ParseException {
            Condition left = not();
            while (take("&&") || takeWord("and")) left = new And(left, not());
            return left;
        }

        private Condition not() throws ParseException {
            skipSpace();
            if (takeWord("not") || (!text.startsWith("!=", pos) && take("!"))) return new Not(not());
            return comparison();
        }

        private Condition comparison() throws ParseException {
            Condition left = primary();
            skipSpace();
            for (Op op : new Op[] {Op.EQ, Op.NE, Op.LE, Op.GE, Op.LT, Op.GT}) {
                if (take(op.symbol)) return new Compare(op, left, primary());
            }
            if (take("=")) throw error(pos - 1, "'=' assigns nothing here: compare with '=='");
            return left;
        }

        private Condition primary() throws ParseException {
            skipSpace();
            int start = pos;
            if (pos == text.length()) throw error(pos, "the expression ends early: expected a value, a reference or '('");
            char c = text.charAt(pos);
            if (c == '(') {
                pos++;
                Condition inner = or();
                skipSpace();
                if (!take(")")) throw error(pos, "expected ')' to close the '(' at column " + (start + 1));
                return inner;
            }
            if (c == '\'' || c == '"') return string(c);
            if (text.startsWith("${", pos)) return ref();
            Matcher n = NUMBER.matcher(text).region(pos, text.length());
            if (n.lookingAt()) {
                pos = n.end();
                return new Num(new BigDecimal(n.group()));
            }
            Matcher w = WORD.matcher(text).region(pos, text.length());
            if (w.lookingAt()) {
                String word = w.group();
                switch (word) {
                    case "true", "false" -> {
                        pos = w.end();
                        return new Bool(word.equals("true"));
                    }
                    case "null" -> {
                        pos = w.end();
                        return new Null();
                    }
                    default -> throw error(pos, "unknown word '" + word + "': quote text ('" + word
                            + "'), and refer to a metric as ${tasks.<task>.metrics." + word + "}");
                }
            }
            throw error(pos, "unexpected '" + peekToken() + "' (expected a number, 'text', true, false, null, "
                    + "${tasks.<task>.metrics.<name>} or '(')");
        }

        private Condition string(char quote) throws ParseException {
            int start = pos++;
            StringBuilder out = new StringBuilder();
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == quote) return new Str(out.toString());
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (pos == text.length()) break;
                char e = text.charAt(pos++);
                switch (e) {
                    case '\\', '\'', '"' -> out.append(e);
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    default -> throw error(pos - 2, "unknown escape '\\" + e + "' (use \\\\, \\', \\\", \\n or \\t)");
                }
            }
            throw error(start, "the string starting here is not closed (end it with " + quote + ")");
        }

        private Condition ref() throws ParseException {
            int start = pos;
            int end = text.indexOf('}', pos);
            if (end < 0) throw error(start, "'${' is not closed with '}'");
            String body = text.substring(pos + 2, end).strip();
            pos = end + 1;
            String[] parts = body.split("\\.", 4);
            String form = "(expected ${tasks.<task>.metrics.<name>} or ${tasks.<task>.status})";
            if (parts[0].equals("params")) {
                throw error(start, "${" + body + "} was not substituted: params are replaced when the workflow is "
                        + "loaded (declare it under params:)");
            }
            if (!parts[0].equals("tasks")) throw error(start, "unknown reference '${" + body + "}' " + form);
            if (parts.length < 3 || !TASK_ID.matcher(parts[1]).matches()) {
                throw error(start, "'${" + body + "}' does not name a task " + form);
            }
            if (parts[2].equals(Ref.STATUS) && parts.length == 3) return new Ref(parts[1], Ref.STATUS, null);
            if (parts[2].equals(Ref.METRICS)) {
                if (parts.length == 4 && METRIC.matcher(parts[3]).matches()) return new Ref(parts[1], Ref.METRICS, parts[3]);
                throw error(start, "'${" + body + "}' needs a metric name after 'metrics.' " + form);
            }
            String hint = Suggestions.closest(parts[2], List.of(Ref.METRICS, Ref.STATUS))
                    .map(s -> "did you mean '" + s + "'? ").orElse("");
            throw error(start, "unknown field '" + parts[2] + "' in '${" + body + "}' (" + hint
                    + form.substring(1));
        }

        private String peekToken() {
            int end = pos + 1;
            while (end < text.length() && !Character.isWhitespace(text.charAt(end))
                    && Character.isLetterOrDigit(text.charAt(end)) == Character.isLetterOrDigit(text.charAt(pos))) {
                end++;
            }
            return text.substring(pos, Math.min(end, text.length()));
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
        }

        private boolean take(String symbol) {
            skipSpace();
            if (!text.startsWith(symbol, pos)) return false;
            pos += symbol.length();
            return true;
        }

        /** A keyword, not the start of a longer word ({@code order} is not {@code or}). */
        private boolean takeWord(String word) {
            skipSpace();
            if (!text.startsWith(word, pos)) return false;
            int end = pos + word.length();
            if (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) return false;
            pos = end;
            return true;
        }

        private ParseException error(int at, String message) {
            return new ParseException(at + 1, message);
        }
    }

    /** Values while evaluating: BigDecimal, String, Boolean, or {@link #NULL}. */
    final class Evaluation {
        static final Object NULL = new Object() {
            @Override public String toString() { return "null"; }
        };

        private Evaluation() {}

        static Object value(Condition c, Function<Ref, JsonNode> lookup) throws EvaluationException {
            if (c instanceof Num n) return n.value();
            if (c instanceof Str s) return s.value();
            if (c instanceof Bool b) return b.value();
            if (c instanceof Null) return NULL;
            if (c instanceof Ref r) return of(r, lookup.apply(r));
            if (c instanceof Not n) return !bool(n.operand(), lookup, "not");
            if (c instanceof And a) return bool(a.left(), lookup, "and") && bool(a.right(), lookup, "and");
            if (c instanceof Or o) return bool(o.left(), lookup, "or") || bool(o.right(), lookup, "or");
            Compare cmp = (Compare) c;
            return compare(cmp.op(), value(cmp.left(), lookup), value(cmp.right(), lookup));
        }

        private static boolean bool(Condition c, Function<Ref, JsonNode> lookup, String op) throws EvaluationException {
            Object v = value(c, lookup);
            if (v instanceof Boolean b) return b;
            throw new EvaluationException("'" + op + "' needs true or false, but " + c + " is " + describe(v));
        }

        private static boolean compare(Op op, Object a, Object b) throws EvaluationException {
            if (op == Op.EQ || op == Op.NE) {
                boolean equal;
                if (a == NULL || b == NULL) {
                    equal = a == b;
                } else if (a.getClass() != b.getClass()) {
                    throw mismatch(op, a, b);
                } else {
                    equal = a instanceof BigDecimal x ? x.compareTo((BigDecimal) b) == 0 : a.equals(b);
                }
                return equal == (op == Op.EQ);
            }
            int order;
            if (a instanceof BigDecimal x && b instanceof BigDecimal y) {
                order = x.compareTo(y);
            } else if (a instanceof String x && b instanceof String y) {
                order = x.compareTo(y);
            } else {
                throw mismatch(op, a, b);
            }
            return switch (op) {
                case LT -> order < 0;
                case LE -> order <= 0;
                case GT -> order > 0;
                default -> order >= 0;
            };
        }

        private static EvaluationException mismatch(Op op, Object a, Object b) {
            return new EvaluationException("cannot compare " + describe(a) + " " + op.symbol + " " + describe(b)
                    + (op == Op.EQ || op == Op.NE ? "" : " (only numbers with numbers, text with text)"));
        }

        private static Object of(Ref r, JsonNode v) throws EvaluationException {
            if (v == null || v.isMissingNode()) {
                throw new EvaluationException(r.field().equals(Ref.METRICS)
                        ? "task '" + r.task() + "' has no metric '" + r.name() + "'" : "no " + r.path());
            }
            if (v.isNull()) return NULL;
            if (v.isBoolean()) return v.booleanValue();
            if (v.isTextual()) return v.textValue();
            if (v.isNumber()) {
                if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
                    throw new EvaluationException(r + " is " + v.doubleValue() + ", not a number that compares");
                }
                return v.decimalValue();
            }
            throw new EvaluationException(r + " is " + (v.isArray() ? "a list" : "a map")
                    + ", not a number, text, true/false or null");
        }

        static String describe(Object v) {
            if (v instanceof BigDecimal d) return "the number " + d;
            if (v instanceof String s) return "the text " + quote(s);
            if (v instanceof Boolean b) return b.toString();
            return "null";
        }
    }
}
