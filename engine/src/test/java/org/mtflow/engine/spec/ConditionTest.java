package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The {@code when:} language against a reference: random expressions are written as text by this
 * test (random spacing, aliases and redundant parentheses), with the value this test's own
 * evaluator gives them; the parser must read them to the same value, and print them as text that
 * reads back to the same tree.
 */
class ConditionTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Object ERROR = new Object();
    private static final Object NULL = new Object();

    /** What references read: metrics of task a, and the status of task b; others are missing. */
    private static final Map<String, JsonNode> ENV = Map.of(
            "tasks.a.metrics.x", F.numberNode(0.25),
            "tasks.a.metrics.k", F.numberNode(3),
            "tasks.a.metrics.s", F.textNode("v1"),
            "tasks.a.metrics.flag", F.booleanNode(true),
            "tasks.a.metrics.off", F.booleanNode(false),
            "tasks.a.metrics.n", F.nullNode(),
            "tasks.b.status", F.textNode("succeeded"));
    private static final Function<Condition.Ref, JsonNode> LOOKUP = r -> ENV.get(r.path());

    /** A piece of expression text, how tightly it binds (1 or … 5 atom), and its reference value. */
    private record Gen(String text, int strength, Object value) {}

    @Test
    void randomExpressionsParseEvaluateAndPrintLikeTheReference() throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        int errors = 0, trues = 0;
        for (int i = 0; i < 3000; i++) {
            Gen g = bool(random, 1 + random.nextInt(4));
            String why = "seed " + seed + ": " + g.text();
            Condition c = Condition.parse(g.text());
            Object actual = evaluate(c);
            Object expected = g.value() instanceof Boolean ? g.value() : ERROR;
            assertEquals(expected, actual, why);
            if (expected == ERROR) errors++;
            if (Boolean.TRUE.equals(expected)) trues++;

            String canonical = c.toString();
            Condition again = Condition.parse(canonical);
            assertEquals(c, again, why + " printed as " + canonical);
            assertEquals(canonical, again.toString(), why);
            assertEquals(actual, evaluate(again), why);
        }
        // The generator must exercise all three outcomes, or the comparison says little.
        assertTrue(errors > 100 && trues > 300 && 3000 - errors - trues > 300, "seed " + seed + ": " + errors + " " + trues);
    }

    private static Object evaluate(Condition c) {
        try {
            return c.evaluate(LOOKUP);
        } catch (Condition.EvaluationException e) {
            return ERROR;
        }
    }

    /** A condition, meant to be boolean (some are not, on purpose: those must be errors). */
    private static Gen bool(Random r, int depth) {
        if (depth == 0 || r.nextInt(5) == 0) {
            return r.nextInt(4) == 0 ? atom(r) : compare(r);
        }
        switch (r.nextInt(3)) {
            case 0 -> {
                Gen a = bool(r, depth - 1);
                String op = r.nextBoolean() ? "not " : "!";
                Gen x = wrap(r, a, 3);
                Object v = x.value() instanceof Boolean b ? (Object) !b : ERROR;
                return new Gen(op + space(r) + x.text(), 3, v);
            }
            case 1 -> {
                Gen a = wrap(r, bool(r, depth - 1), 2), b = wrap(r, bool(r, depth - 1), 3);
                String op = r.nextBoolean() ? "and" : "&&";
                Object v = !(a.value() instanceof Boolean x) ? ERROR : !x ? false
                        : b.value() instanceof Boolean y ? (Object) y : ERROR;
                return new Gen(a.text() + " " + op + " " + b.text(), 2, v);
            }
            default -> {
                Gen a = wrap(r, bool(r, depth - 1), 1), b = wrap(r, bool(r, depth - 1), 2);
                String op = r.nextBoolean() ? "or" : "||";
                Object v = !(a.value() instanceof Boolean x) ? ERROR : x ? true
                        : b.value() instanceof Boolean y ? (Object) y : ERROR;
                return new Gen(a.text() + " " + op + " " + b.text(), 1, v);
            }
        }
    }

    /** {@code g} where it must bind at least as tight as {@code needed}: in parentheses if not, sometimes anyway. */
    private static Gen wrap(Random r, Gen g, int needed) {
        if (g.strength() >= needed && r.nextInt(6) != 0) return g;
        return new Gen("(" + space(r) + g.text() + space(r) + ")", 5, g.value());
    }

    private static final String[] OPS = {"==", "!=", "<", "<=", ">", ">="};

    private static Gen compare(Random r) {
        Gen a = atom(r), b = r.nextInt(3) == 0 ? atom(r) : sameKind(r, a.value());
        String op = OPS[r.nextInt(OPS.length)];
        return new Gen(a.text() + space(r) + op + space(r) + b.text(), 4, reference(op, a.value(), b.value()));
    }

    /** The reference semantics, written from the README's description. */
    private static Object reference(String op, Object a, Object b) {
        if (a == ERROR || b == ERROR) return ERROR;
        if (op.equals("==") || op.equals("!=")) {
            boolean eq;
            if (a == NULL || b == NULL) eq = a == b;
            else if (a instanceof BigDecimal x && b instanceof BigDecimal y) eq = x.compareTo(y) == 0;
            else if (a.getClass() == b.getClass()) eq = a.equals(b);
            else return ERROR;
            return eq == op.equals("==");
        }
        int order;
        if (a instanceof BigDecimal x && b instanceof BigDecimal y) order = x.compareTo(y);
        else if (a instanceof String x && b instanceof String y) order = x.compareTo(y);
        else return ERROR;
        return switch (op) {
            case "<" -> order < 0;
            case "<=" -> order <= 0;
            case ">" -> order > 0;
            default -> order >= 0;
        };
    }

    private static Gen sameKind(Random r, Object v) {
        for (int i = 0; i < 20; i++) {
            Gen g = atom(r);
            if (g.value().getClass() == v.getClass()) return g;
        }
        return atom(r);
    }

    private static Gen atom(Random r) {
        switch (r.nextInt(7)) {
            case 0, 1 -> {
                BigDecimal d = BigDecimal.valueOf(r.nextInt(41) - 20, r.nextInt(3));
                String text = r.nextInt(4) == 0 ? d.unscaledValue() + "e-" + d.scale() : d.toPlainString();
                return new Gen(text, 5, d);
            }
            case 2 -> {
                String s = randomText(r);
                char q = r.nextBoolean() ? '\'' : '"';
                StringBuilder t = new StringBuilder().append(q);
                for (char c : s.toCharArray()) {
                    if (c == q || c == '\\') t.append('\\');
                    t.append(c == '\n' ? "\\n" : String.valueOf(c));
                }
                return new Gen(t.append(q).toString(), 5, s);
            }
            case 3 -> {
                boolean b = r.nextBoolean();
                return new Gen(Boolean.toString(b), 5, b);
            }
            case 4 -> {
                return new Gen("null", 5, NULL);
            }
            default -> {
                List<String> refs = List.of("tasks.a.metrics.x", "tasks.a.metrics.k", "tasks.a.metrics.s",
                        "tasks.a.metrics.flag", "tasks.a.metrics.off", "tasks.a.metrics.n", "tasks.b.status",
                        "tasks.a.metrics.nope");
                String ref = refs.get(r.nextInt(refs.size()));
                JsonNode v = ENV.get(ref);
                Object value = v == null ? ERROR : v.isNull() ? NULL : v.isNumber() ? v.decimalValue()
                        : v.isBoolean() ? (Object) v.booleanValue() : v.textValue();
                return new Gen("${" + ref + "}", 5, value);
            }
        }
    }

    private static String randomText(Random r) {
        String chars = "ab v1'\"\\\nsucceded";
        StringBuilder s = new StringBuilder();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) s.append(chars.charAt(r.nextInt(chars.length())));
        if (r.nextInt(4) == 0) return r.nextBoolean() ? "v1" : "succeeded";
        return s.toString();
    }

    private static String space(Random r) {
        return r.nextInt(3) == 0 ? "" : r.nextInt(5) == 0 ? "  " : " ";
    }

    @Test
    void syntaxErrorsNameTheColumnAndTheFix() {
        Object[][] cases = {
                {"", 1, "the expression is empty"},
                {"${tasks.a.metrics.x} = 1", 22, "compare with '=='"},
                {"1 < 2 < 3", 7, "comparisons do not chain"},
                {"(1 < 2", 7, "expected ')' to close the '(' at column 1"},
                {"'open", 1, "not closed"},
                {"accuracy > 0.9", 1, "unknown word 'accuracy'"},
                {"${tasks.a.metric.x} > 1", 1, "did you mean 'metrics'?"},
                {"${params.t} > 1", 1, "was not substituted"},
                {"${tasks.a.metrics} > 1", 1, "needs a metric name"},
                {"true and", 9, "ends early"},
                {"1 > 0 nor 2", 7, "unexpected 'nor'"},
                {"'a\\q' == 'b'", 3, "unknown escape"},
                {"${tasks.a.status", 1, "not closed with '}'"},
        };
        for (Object[] c : cases) {
            Condition.ParseException e = assertThrows(Condition.ParseException.class, () -> Condition.parse((String) c[0]),
                    (String) c[0]);
            assertEquals(c[1], e.column, c[0] + ": " + e.getMessage());
            assertTrue(e.getMessage().contains((String) c[2]), c[0] + ": " + e.getMessage());
        }
    }

    @Test
    void referencesAndTheTasksTheyName() throws Exception {
        Condition c = Condition.parse("${tasks.eval.metrics.acc} < 0.9 and (${tasks.b.status} == 'failed' or ${tasks.eval.metrics.f1} > 0)");
        assertEquals(List.of("eval", "b"), List.copyOf(c.tasks()));
        assertEquals(List.of("eval"), List.copyOf(c.metricTasks()));
        assertEquals("${tasks.eval.metrics.acc} < 0.9 and (${tasks.b.status} == 'failed' or ${tasks.eval.metrics.f1} > 0)",
                c.toString());
        assertEquals(new Condition.Ref("eval", "metrics", "train.loss"), Condition.parse("${tasks.eval.metrics.train.loss}"));
    }
}
