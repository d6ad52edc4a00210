package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** The registry of search policies by name: adding a policy is one class and one line here. */
public final class SearchPolicies {

    /** Makes a policy for a space from its options (policy-specific, validated by the policy) and a seed. */
    @FunctionalInterface
    public interface Factory {
        SearchPolicy create(SearchSpace space, ObjectNode options, long seed);
    }

    private static final Map<String, Factory> POLICIES = new TreeMap<>(Map.of(
            "random", (space, options, seed) -> {
                Options.none("random", options);
                return new RandomPolicy(space, seed);
            },
            "grid", GridPolicy::create,
            "bayes", BayesPolicy::create,
            "evolution", EvolutionPolicy::create,
            "halving", HalvingPolicy::create));

    private SearchPolicies() {}

    public static Optional<Factory> named(String name) { return Optional.ofNullable(POLICIES.get(name)); }

    public static Set<String> names() { return POLICIES.keySet(); }

    /**
     * A policy's options, read with errors that name the policy, the option and how to write it.
     * Unknown options are refused, so a misspelt one is not silently ignored.
     */
    static final class Options {
        private final String policy;
        private final ObjectNode node;

        Options(String policy, ObjectNode node, String... known) {
            this.policy = policy;
            this.node = node;
            if (node == null) return;
            for (String key : (Iterable<String>) node::fieldNames) {
                if (!List.of(known).contains(key)) {
                    throw new IllegalArgumentException("policy " + policy + ": unknown option '" + key + "'; "
                            + (known.length == 0 ? "it takes no options" : "it takes " + String.join(", ", known)));
                }
            }
        }

        /** Refuses any option: for policies that take none. */
        static void none(String policy, ObjectNode options) {
            new Options(policy, options);
        }

        boolean has(String key) { return node != null && node.hasNonNull(key); }

        /** An integer option at least {@code min}, or {@code fallback} when absent. */
        int integer(String key, int fallback, int min) {
            if (!has(key)) return fallback;
            JsonNode v = node.get(key);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min) {
                throw new IllegalArgumentException("policy " + policy + ": option " + key + " must be an integer >= " + min + ", got " + v + "; write e.g. " + key + ": " + Math.max(min, fallback));
            }
            return v.asInt();
        }

        /** A finite number option above {@code above}; {@code example} shows how to write it. */
        double number(String key, double above, String example) {
            if (!has(key)) throw new IllegalArgumentException("policy " + policy + ": option " + key + " is required; write e.g. " + key + ": " + example);
            JsonNode v = node.get(key);
            if (!v.isNumber() || !Double.isFinite(v.asDouble()) || !(v.asDouble() > above)) {
                throw new IllegalArgumentException("policy " + policy + ": option " + key + " must be a number > " + above + ", got " + v + "; write e.g. " + key + ": " + example);
            }
            return v.asDouble();
        }

        /** Whether a present number option is written as an integer (e.g. an epoch count). */
        boolean integral(String key) { return has(key) && node.get(key).isIntegralNumber(); }

        /** A required non-empty text option; {@code example} shows how to write it. */
        String text(String key, String example) {
            if (!has(key) || !node.get(key).isTextual() || node.get(key).asText().isBlank()) {
                throw new IllegalArgumentException("policy " + policy + ": option " + key + " must be a param name, got " + (has(key) ? node.get(key) : "nothing") + "; write e.g. " + key + ": " + example);
            }
            return node.get(key).asText();
        }
    }
}
