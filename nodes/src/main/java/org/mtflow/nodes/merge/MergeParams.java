package org.mtflow.nodes.merge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A merge's parameters as written (mergekit's shape): method-wide values, which are also the
 * defaults of per-model ones, and one map per model. A value is
 * <ul>
 *   <li>a scalar: a number, a boolean or (for options) a string;</li>
 *   <li>a gradient: a list of numbers, interpolated linearly over the tensor's {@linkplain Layers depth}
 *       with the points spread evenly on [0, 1] (mergekit's {@code gradient});</li>
 *   <li>a filter list: a list of {@code {filter: substring, value: v}}; the first entry whose filter
 *       occurs in the tensor's name (or that has no filter) gives the value, itself a scalar or a
 *       gradient (mergekit's {@code filter}). No match: the parameter is not set for that tensor.</li>
 * </ul>
 * {@link #forTensor} resolves them into the {@link TensorParams} of one tensor.
 */
public final class MergeParams {
    private final Map<String, Object> global;
    private final List<Map<String, Object>> perModel;
    private final Layers layers;
    /** Per-model values computed from the whole model before the merge (TIES's global top-k threshold). */
    private final Map<String, double[]> computed;

    private MergeParams(Map<String, Object> global, List<Map<String, Object>> perModel, Layers layers, Map<String, double[]> computed) {
        this.global = global;
        this.perModel = perModel;
        this.layers = layers;
        this.computed = computed;
    }

    /** These parameters plus a computed per-model value, which wins over anything written. */
    MergeParams withComputed(String key, double[] values) {
        Map<String, double[]> c = new LinkedHashMap<>(computed);
        c.put(key, values.clone());
        return new MergeParams(global, perModel, layers, c);
    }

    /**
     * Checks every value's shape and every name against the method's, so that a bad parameter fails
     * before any tensor is read. {@code perModel} may be shorter than the model list (missing maps are
     * empty) but not longer.
     */
    public static MergeParams of(MergeMethod method, Map<String, Object> global, List<Map<String, Object>> perModel,
                                 int models, Layers layers) {
        Map<String, Object> g = global == null ? Map.of() : new LinkedHashMap<>(global);
        List<Map<String, Object>> pm = new ArrayList<>();
        if (perModel != null) {
            if (perModel.size() > models) {
                throw new IllegalArgumentException("model-parameters has " + perModel.size() + " entries but the merge has "
                        + models + " models; give one map per model, in the order of input 'models'");
            }
            for (Map<String, Object> m : perModel) pm.add(m == null ? Map.of() : new LinkedHashMap<>(m));
        }
        while (pm.size() < models) pm.add(Map.of());
        check(method, g, "parameters");
        for (int i = 0; i < pm.size(); i++) check(method, pm.get(i), "model-parameters[" + i + "]");
        return new MergeParams(g, pm, layers, Map.of());
    }

    private static void check(MergeMethod method, Map<String, Object> values, String where) {
        for (var e : values.entrySet()) {
            if (!method.parameters().contains(e.getKey())) {
                throw new IllegalArgumentException(where + ": merge." + method.name() + " has no parameter '" + e.getKey()
                        + "'; its parameters are " + new TreeSet<>(method.parameters()));
            }
            checkValue(e.getValue(), where + "." + e.getKey(), true);
        }
    }

    private static void checkValue(Object v, String where, boolean filtersAllowed) {
        if (v instanceof Number || v instanceof Boolean || v instanceof String) return;
        if (v instanceof List<?> list && !list.isEmpty()) {
            if (list.stream().allMatch(x -> x instanceof Number)) return;
            if (filtersAllowed && list.stream().allMatch(x -> x instanceof Map<?, ?>)) {
                for (Object x : list) {
                    Map<?, ?> entry = (Map<?, ?>) x;
                    if (!entry.containsKey("value") || !Set.of("filter", "value").containsAll(entry.keySet())
                            || (entry.containsKey("filter") && !(entry.get("filter") instanceof String))) {
                        throw new IllegalArgumentException(where + ": a filter entry is {filter: substring, value: v}, got " + entry);
                    }
                    checkValue(entry.get("value"), where + ".value", false);
                }
                return;
            }
        }
        throw new IllegalArgumentException(where + ": want a number, a boolean, a list of numbers (a gradient over layers) "
                + "or a list of {filter, value}, got " + v);
    }

    /** The values for the tensor of this name. */
    public TensorParams forTensor(String name) {
        double depth = layers.depth(name);
        return new TensorParams() {
            @Override
            public double model(int i, String key, double fallback) {
                double[] c = computed.get(key);
                if (c != null) return c[i];
                Object v = resolve(perModel.get(i).get(key), name, depth);
                if (v == null) v = resolve(global.get(key), name, depth);
                return number(v, key, fallback);
            }

            @Override
            public double global(String key, double fallback) {
                return number(resolve(global.get(key), name, depth), key, fallback);
            }

            @Override
            public boolean flag(String key, boolean fallback) {
                Object v = resolve(global.get(key), name, depth);
                if (v == null) return fallback;
                if (v instanceof Boolean b) return b;
                if (v instanceof Number n) return n.doubleValue() != 0;
                throw new IllegalArgumentException("parameter " + key + " of tensor '" + name + "' is a flag: want true or false, got " + v);
            }

            @Override
            public String option(String key, String fallback) {
                Object v = resolve(global.get(key), name, depth);
                return v == null ? fallback : v.toString();
            }

            @Override
            public double depth() {
                return depth;
            }
        };
    }

    private static double number(Object v, String key, double fallback) {
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof Boolean b) return b ? 1 : 0;
        throw new IllegalArgumentException("parameter " + key + " is a number, got '" + v + "'");
    }

    /** A written value at one tensor: a scalar as is, a gradient interpolated, a filter list matched. */
    static Object resolve(Object v, String name, double depth) {
        if (!(v instanceof List<?> list)) return v;
        if (list.get(0) instanceof Map<?, ?>) {
            for (Object x : list) {
                Map<?, ?> entry = (Map<?, ?>) x;
                Object filter = entry.get("filter");
                if (filter == null || name.contains((String) filter)) return resolve(entry.get("value"), name, depth);
            }
            return null;
        }
        return interpolate(list, depth);
    }

    /** numpy.interp(depth, linspace(0, 1, n), values): the gradient's value at this depth. */
    static double interpolate(List<?> values, double depth) {
        int n = values.size();
        if (n == 1) return ((Number) values.get(0)).doubleValue();
        double pos = Math.max(0, Math.min(1, depth)) * (n - 1);
        int lo = Math.min((int) Math.floor(pos), n - 2);
        double frac = pos - lo;
        double a = ((Number) values.get(lo)).doubleValue(), b = ((Number) values.get(lo + 1)).doubleValue();
        return a + (b - a) * frac;
    }
}
