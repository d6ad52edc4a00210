package org.mtflow.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mtflow.dsl.WorkflowLoaderTest.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.Resources;
import org.mtflow.engine.spec.RetryPolicy;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;

class WorkflowWriterTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Test
    void writesTheFormatItReads() throws SpecException {
        assertEquals("""
                name: hello
                seed: 42
                params: {n: 3}
                tasks:
                  a:
                    type: t.source
                    with: {shape: [64, 64]}
                  b:
                    type: t.sum
                    inputs: {values: [a.tensor, a.tensor]}
                  c:
                    type: t.noop
                    inputs: {x: b.tensor}
                    retry: {attempts: 3, backoff: 100ms, max-backoff: 10s, jitter: 0.1, on: [transient, timeout]}
                    timeout: 30s
                    resources: {device: any, memory: 2GiB, slots: 1}
                    cache: false
                """, WorkflowWriter.toYaml(load(WorkflowLoaderTest.HELLO)));
    }

    @Test
    void roundTripOfTheExample() throws SpecException {
        WorkflowSpec spec = load(WorkflowLoaderTest.HELLO);
        assertEquals(spec, load(WorkflowWriter.toYaml(spec)));
    }

    @Test
    void roundTripKeepsSubstitutedTextThatLooksLikeAReference() throws SpecException {
        WorkflowSpec spec = load(ParamsTest.FLOW, Map.of("tag", "\"${params.n} $${x}\""));
        assertEquals("${params.n} $${x}-n3 costs $$5, not ${params.n}", spec.task("b").orElseThrow().with().get("label").asText());
        String yaml = WorkflowWriter.toYaml(spec);
        assertEquals(spec, load(yaml), yaml);
    }

    @Test
    void writesMinSuccessInTheMapFormOnlyWhenNotAll() throws SpecException {
        WorkflowSpec spec = load(WorkflowLoaderTest.MERGE);
        String yaml = WorkflowWriter.toYaml(spec);
        assertEquals("""
                name: merge
                seed: 0
                params: {k: 2}
                tasks:
                  ft-a:
                    type: t.source
                    with: {shape: [2]}
                  ft-b:
                    type: t.source
                    with: {shape: [2]}
                  ft-c:
                    type: t.source
                    with: {shape: [2]}
                  two:
                    type: t.sum
                    inputs: {values: {from: [ft-a.tensor, ft-b.tensor, ft-c.tensor], min-success: 2}}
                  all:
                    type: t.sum
                    inputs: {values: [ft-a.tensor, ft-b.tensor]}
                  same:
                    type: t.sum
                    inputs: {values: [ft-a.tensor]}
                  param:
                    type: t.sum
                    inputs: {values: {from: [ft-a.tensor, ft-b.tensor, ft-c.tensor], min-success: 2}}
                  block:
                    type: t.sum
                    inputs: {values: {from: [ft-c.tensor, ft-a.tensor], min-success: 1}}
                """, yaml);
        assertEquals(spec, load(yaml));
    }

    @Test
    void quotesStringsThatYamlWouldReadAsSomethingElse() {
        assertEquals("abc", WorkflowWriter.string("abc", true));
        assertEquals("a.b/c-d_e", WorkflowWriter.string("a.b/c-d_e", true));
        for (String s : List.of("true", "No", "on", "null", "y", "", "12", "1.5", "-x", "a b", "a: b", "#", "~", "x#y")) {
            assertEquals('"', WorkflowWriter.string(s, true).charAt(0), s);
        }
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", WorkflowWriter.string("a\"b\\c\nd\u0001", true));
        assertEquals("\"$${params.x}\"", WorkflowWriter.string("${params.x}", true));
        assertEquals("\"${params.x}\"", WorkflowWriter.string("${params.x}", false));
        // Keys are always text: only their characters decide.
        assertEquals("null", WorkflowWriter.key("null"));
        assertEquals("\"a b\"", WorkflowWriter.key("a b"));
    }

    /** Random valid specs, written and loaded back, must come back equal. */
    @Test
    void randomSpecsRoundTrip() {
        long base = 0x5eed_2024L;
        for (int i = 0; i < 400; i++) {
            long seed = base + i;
            WorkflowSpec spec = new RandomSpecs(new Random(seed)).spec();
            String yaml = WorkflowWriter.toYaml(spec);
            WorkflowSpec back;
            try {
                back = load(yaml);
            } catch (SpecException e) {
                throw new AssertionError("seed " + seed + ": the written spec does not load:\n" + e.getMessage() + "\n" + yaml);
            }
            assertEquals(spec, back, "seed " + seed + ":\n" + yaml);
            assertEquals(yaml, WorkflowWriter.toYaml(back), "seed " + seed + ": writing is not stable");
        }
    }

    /** Builds random specs that are valid for {@link TestNodes}, with awkward text and numbers. */
    static final class RandomSpecs {
        private static final String ALPHABET = "aZ09 _-.:#,[]{}\"'\\\n\t$/&*!?|>%@`~=<éß日本😀\u0001\u007f\u0085\u2028\ufeff";
        private static final List<String> AWKWARD = List.of("", " ", "true", "False", "null", "NULL", "yes", "on",
                "off", "~", "123", "-7", "1.5", "1e5", "0x1F", "1_000", "0o17", ".inf", ".nan", "2024-01-01",
                "12:30:00", "-", "- a", "? x", "a: b", "#c", "&a", "*a", "!tag", "%x", "@x", "`x", "|", ">",
                "${params.x}", "$${", "${", "$$", "}{", "'", "\"", "<<", "=", " lead", "trail ", "a\nb");
        private final Random r;

        RandomSpecs(Random r) {
            this.r = r;
        }

        WorkflowSpec spec() {
            String name;
            do {
                name = text();
            } while (name.isBlank());
            int n = 1 + r.nextInt(6);
            List<TaskSpec> tasks = new ArrayList<>();
            Map<String, String> outputs = new LinkedHashMap<>();
            Set<String> ids = new LinkedHashSet<>();
            for (int i = 0; i < n; i++) {
                String id = taskId(ids);
                TaskSpec t = task(id, outputs);
                tasks.add(t);
                outputs.put(id, t.type().equals("t.source") || t.type().equals("t.sum") ? "tensor" : "out");
            }
            return new WorkflowSpec(name, r.nextLong(), object(2), tasks);
        }

        private TaskSpec task(String id, Map<String, String> earlier) {
            List<String> before = new ArrayList<>(earlier.keySet());
            ObjectNode with = NODES.objectNode();
            Map<String, InputBinding> inputs = new LinkedHashMap<>();
            String type;
            int kind = before.isEmpty() ? r.nextInt(2) * 3 : r.nextInt(4);
            switch (kind) {
                case 0 -> {
                    type = "t.source";
                    ArrayNode shape = with.putArray("shape");
                    for (int i = r.nextInt(4); i > 0; i--) shape.add(r.nextInt(1000));
                    if (r.nextBoolean()) with.put("seed", r.nextLong());
                }
                case 1 -> {
                    type = "t.sum";
                    inputs.put("values", many(refs(before, earlier, 1 + r.nextInt(4))));
                    if (r.nextBoolean()) with.put("scale", r.nextGaussian() * 1e3);
                    if (r.nextBoolean()) with.put("label", text());
                }
                case 2 -> {
                    type = "t.noop";
                    inputs.put("x", new InputBinding.One(refs(before, earlier, 1).get(0)));
                }
                default -> {
                    type = "t.any";
                    for (String k : List.of("a", "b", "c")) if (r.nextBoolean()) with.set(k, value(3));
                    if (!before.isEmpty() && r.nextBoolean()) {
                        inputs.put("in", many(refs(before, earlier, r.nextInt(3))));
                    }
                }
            }
            RetryPolicy retry = r.nextInt(3) == 0 ? RetryPolicy.NONE : new RetryPolicy(1 + r.nextInt(10),
                    Duration.ofMillis(r.nextInt(100_000)), Duration.ofMillis(r.nextInt(10_000_000)),
                    r.nextInt(4) == 0 ? r.nextInt(2) : r.nextDouble(), errorClasses());
            Duration timeout = r.nextBoolean() ? null : Duration.ofMillis(1 + (long) r.nextInt(100) * (r.nextBoolean() ? 1000 : 7));
            Resources resources = r.nextInt(3) == 0 ? Resources.DEFAULT : new Resources(
                    DeviceSelector.values()[r.nextInt(DeviceSelector.values().length)],
                    r.nextBoolean() ? (long) r.nextInt(64) << (10 * r.nextInt(4)) : (r.nextLong() >>> 1) >>> r.nextInt(63),
                    1 + r.nextInt(8));
            String when = before.isEmpty() || r.nextInt(3) != 0 ? null : condition(before);
            return new TaskSpec(id, type, with, inputs, retry, timeout, resources, r.nextInt(4) != 0, when);
        }

        /** A when: over earlier tasks, with text that needs quoting in YAML. */
        private String condition(List<String> before) {
            String t = before.get(r.nextInt(before.size()));
            return switch (r.nextInt(4)) {
                case 0 -> r.nextBoolean() ? "true" : "not false";
                case 1 -> "${tasks." + t + ".status} == 'succeeded'";
                case 2 -> "${tasks." + t + ".metrics.loss} < " + number() + " or ${tasks." + t + ".metrics.tag} != \"a: #b\"";
                default -> "(${tasks." + t + ".metrics.n} >= " + r.nextInt() + ") && !(${tasks." + t + ".metrics.ok} == true)";
            };
        }

        /** A list that needs all of its outputs, or (half the time) any valid min-success. */
        private InputBinding.Many many(List<OutputRef> refs) {
            return refs.isEmpty() || r.nextBoolean() ? new InputBinding.Many(refs)
                    : new InputBinding.Many(refs, 1 + r.nextInt(refs.size()));
        }

        private List<OutputRef> refs(List<String> before, Map<String, String> outputs, int n) {
            List<OutputRef> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String t = before.get(r.nextInt(before.size()));
                out.add(new OutputRef(t, outputs.get(t)));
            }
            return out;
        }

        private List<ErrorClass> errorClasses() {
            List<ErrorClass> out = new ArrayList<>();
            for (int i = r.nextInt(4); i > 0; i--) out.add(ErrorClass.values()[r.nextInt(ErrorClass.values().length)]);
            return out;
        }

        private String taskId(Set<String> taken) {
            String id;
            do {
                if (r.nextInt(6) == 0) {
                    id = List.of("on", "y", "null", "true", "no", "_", "a-b", "T_1").get(r.nextInt(8));
                } else {
                    String first = "abcxyzAB_";
                    String rest = "abcxyzAB_019-";
                    StringBuilder b = new StringBuilder().append(first.charAt(r.nextInt(first.length())));
                    for (int i = r.nextInt(8); i > 0; i--) b.append(rest.charAt(r.nextInt(rest.length())));
                    id = b.toString();
                }
            } while (!taken.add(id));
            return id;
        }

        private JsonNode value(int depth) {
            int k = r.nextInt(depth > 0 ? 9 : 7);
            return switch (k) {
                case 0 -> NODES.textNode(text());
                case 1 -> NODES.numberNode(r.nextInt());
                case 2 -> r.nextBoolean() ? NODES.numberNode(r.nextLong()) : bigInteger();
                case 3 -> NODES.numberNode(number());
                case 4 -> NODES.booleanNode(r.nextBoolean());
                case 5 -> NODES.nullNode();
                case 6 -> NODES.textNode(AWKWARD.get(r.nextInt(AWKWARD.size())));
                case 7 -> {
                    ArrayNode a = NODES.arrayNode();
                    for (int i = r.nextInt(4); i > 0; i--) a.add(value(depth - 1));
                    yield a;
                }
                default -> object(depth - 1);
            };
        }

        private ObjectNode object(int depth) {
            ObjectNode o = NODES.objectNode();
            for (int i = r.nextInt(4); i > 0; i--) o.set(r.nextBoolean() ? text() : "k" + i, value(depth));
            return o;
        }

        /** Numbers as the loader gives them: the narrowest integer node; doubles always finite. */
        private JsonNode bigInteger() {
            BigInteger v = new BigInteger(64 + r.nextInt(64), r);
            v = r.nextBoolean() ? v.negate() : v;
            if (v.bitLength() < 32) return NODES.numberNode(v.intValue());
            if (v.bitLength() < 64) return NODES.numberNode(v.longValue());
            return NODES.numberNode(v);
        }

        private double number() {
            return switch (r.nextInt(6)) {
                case 0 -> -0.0;
                case 1 -> Double.MIN_VALUE;
                case 2 -> Double.MAX_VALUE * (r.nextBoolean() ? 1 : -1);
                case 3 -> (double) r.nextInt(1000);
                case 4 -> Double.longBitsToDouble(r.nextLong() & 0x7fefffffffffffffL);
                default -> r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
            };
        }

        private String text() {
            if (r.nextInt(4) == 0) return AWKWARD.get(r.nextInt(AWKWARD.size()));
            StringBuilder b = new StringBuilder();
            int[] cps = ALPHABET.codePoints().toArray();
            for (int i = r.nextInt(12); i > 0; i--) b.appendCodePoint(cps[r.nextInt(cps.length)]);
            return b.toString();
        }
    }
}
