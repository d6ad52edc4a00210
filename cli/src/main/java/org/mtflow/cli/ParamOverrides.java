package org.mtflow.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --param k=v} options as a map; values stay text for the loader to parse as YAML. */
final class ParamOverrides {
    private ParamOverrides() {}

    static Map<String, String> parse(List<String> options) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String o : options) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--param " + o + ": expected name=value, e.g. --param n=5");
            }
            out.put(o.substring(0, eq).trim(), o.substring(eq + 1));
        }
        return out;
    }
}
