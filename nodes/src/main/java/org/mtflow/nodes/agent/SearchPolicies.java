package org.mtflow.nodes.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
            }));

    private SearchPolicies() {}

    public static Optional<Factory> named(String name) { return Optional.ofNullable(POLICIES.get(name)); }

    public static Set<String> names() { return POLICIES.keySet(); }

    /** Checks of policy options shared by the policies. */
    static final class Options {
        private Options() {}

        /** Refuses any option: for policies that take none. */
        static void none(String policy, ObjectNode options) {
            if (options != null && !options.isEmpty()) {
                throw new IllegalArgumentException("policy " + policy + " takes no options, got " + options.fieldNames().next());
            }
        }
    }
}
