package org.mtflow.nodes.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

/** Parameter values resolved per tensor: scalars, mergekit's filter lists and layer gradients. */
class MergeParamsTest {
    static final MergeMethod TIES = new TiesMerge();

    @Test
    void layersAndDepthComeFromTensorNames() {
        Layers l = Layers.of(List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.15.mlp.up_proj.weight", "model.norm.weight", "lm_head.weight"));
        assertEquals(16, l.count());
        assertEquals(0, l.depth("model.embed_tokens.weight"));
        assertEquals(0, l.depth("model.layers.0.self_attn.q_proj.weight"));
        assertEquals(6 / 15.0, l.depth("model.layers.6.mlp.down_proj.weight"));
        assertEquals(1, l.depth("model.layers.15.mlp.up_proj.weight"));
        assertEquals(1, l.depth("model.norm.weight"));
        assertEquals(1, l.depth("lm_head.weight"));
        Layers mlp = Layers.of(List.of("trunk.0.weight", "trunk.0.bias", "trunk.1.weight", "trunk.2.weight", "head.a.weight"));
        assertEquals(3, mlp.count());
        assertEquals(0.5, mlp.depth("trunk.1.bias"));
        assertEquals(1, mlp.depth("head.a.weight"));
    }

    @Test
    void gradientsInterpolateOverDepthLikeNumpyInterp() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int points = 2 + rnd.nextInt(5), layers = 2 + rnd.nextInt(30);
        List<Double> g = rnd.doubles(points).boxed().toList();
        MergeParams p = MergeParams.of(TIES, Map.of("lambda", g), List.of(), 1, new Layers(layers));
        for (int layer = 0; layer < layers; layer++) {
            double x = layer / (double) (layers - 1) * (points - 1);
            int lo = Math.min((int) x, points - 2);
            double want = g.get(lo) + (g.get(lo + 1) - g.get(lo)) * (x - lo);
            assertEquals(want, p.forTensor("model.layers." + layer + ".w").global("lambda", -1), 1e-12, "seed " + seed + " layer " + layer);
        }
        assertEquals(g.get(0), p.forTensor("model.embed_tokens.weight").global("lambda", -1), 1e-12);
        assertEquals(g.get(points - 1), p.forTensor("lm_head.weight").global("lambda", -1), 1e-12);
    }

    @Test
    void filtersTakeTheFirstMatchAndModelValuesOverrideGlobalOnes() {
        Map<String, Object> global = Map.of(
                "density", List.of(Map.of("filter", "self_attn", "value", 0.3), Map.of("filter", "mlp", "value", List.of(0.2, 0.6)),
                        Map.of("value", 0.9)),
                "weight", 0.5, "normalize", false, "consensus", "count");
        List<Map<String, Object>> perModel = List.of(Map.of(), Map.of("weight", List.of(Map.of("filter", "mlp", "value", 2.0))));
        MergeParams p = MergeParams.of(TIES, global, perModel, 2, new Layers(5));
        TensorParams attn = p.forTensor("model.layers.2.self_attn.q_proj.weight");
        TensorParams mlp = p.forTensor("model.layers.2.mlp.up_proj.weight");
        TensorParams other = p.forTensor("model.norm.weight");
        assertEquals(0.3, attn.model(0, "density", -1));
        assertEquals(0.4, mlp.model(1, "density", -1), 1e-12); // gradient [0.2, 0.6] at depth 0.5
        assertEquals(0.9, other.model(0, "density", -1));
        assertEquals(0.5, attn.model(0, "weight", -1));
        assertEquals(0.5, attn.model(1, "weight", -1), "model 1's filter does not match: the global value");
        assertEquals(2.0, mlp.model(1, "weight", -1));
        assertEquals(-1, attn.global("lambda", -1), "unset: the fallback");
        assertEquals(false, attn.flag("normalize", true));
        assertEquals("count", attn.option("consensus", "sum"));
        assertEquals(0.5, mlp.depth());
    }

    @Test
    void badParametersAreRejectedNamingTheParameter() {
        var e = assertThrows(IllegalArgumentException.class, () -> MergeParams.of(TIES, Map.of("t", 0.5), List.of(), 1, new Layers(1)));
        assertTrue(e.getMessage().contains("no parameter 't'") && e.getMessage().contains("density"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MergeParams.of(TIES, Map.of(), List.of(Map.of(), Map.of()), 1, new Layers(1)));
        assertTrue(e.getMessage().contains("model-parameters has 2 entries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MergeParams.of(TIES, Map.of("density", List.of(Map.of("filter", "x"))), List.of(), 1, new Layers(1)));
        assertTrue(e.getMessage().contains("parameters.density"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MergeParams.of(TIES, Map.of("weight", Map.of("a", 1)), List.of(), 1, new Layers(1)));
        assertTrue(e.getMessage().contains("parameters.weight"), e.getMessage());
    }
}
