package org.mtflow.nodes.merge;

import java.util.Collection;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layer structure of a checkpoint read from its tensor names: the first purely numeric
 * dot-separated part is the layer index ({@code model.layers.12.mlp.up_proj.weight} → 12,
 * {@code trunk.2.weight} → 2). Tensors without one sit before the layers (embeddings) unless their
 * name says they come after them (a head, {@code lm_head}, a final norm).
 */
public record Layers(int count) {
    private static final Pattern INDEX = Pattern.compile("(?:^|\\.)(\\d+)(?:\\.|$)");
    private static final Pattern AFTER = Pattern.compile("(^|\\.)(lm_head|head|heads|classifier|score)(\\.|$)|(^|\\.)(norm|final_layernorm|ln_f)\\.[^.]+$");

    /** The layers of a checkpoint with these tensor names: one more than the largest index. */
    public static Layers of(Collection<String> names) {
        int max = -1;
        for (String n : names) {
            OptionalInt i = index(n);
            if (i.isPresent()) max = Math.max(max, i.getAsInt());
        }
        return new Layers(max + 1);
    }

    /** The layer index in a tensor name, if it has one. */
    public static OptionalInt index(String name) {
        Matcher m = INDEX.matcher(name);
        return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    /** The tensor's depth in [0, 1]: see {@link TensorParams#depth()}. */
    public double depth(String name) {
        OptionalInt i = index(name);
        if (i.isPresent()) return count <= 1 ? 0 : i.getAsInt() / (double) (count - 1);
        return AFTER.matcher(name).find() ? 1 : 0;
    }
}
