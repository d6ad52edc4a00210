package org.mtflow.nodes.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The architecture of an {@link Mlp}: {@code inputs} features, a trunk of fully connected layers of
 * {@code hidden} sizes each followed by {@code activation}, and one linear head per task (name →
 * class count) on the trunk's last layer (on the inputs when the trunk is empty).
 */
public record MlpSpec(int inputs, List<Integer> hidden, Activation activation, Map<String, Integer> heads) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public MlpSpec {
        hidden = List.copyOf(hidden);
        heads = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(heads));
        if (inputs < 1) throw new IllegalArgumentException("an MLP needs at least one input feature, got " + inputs);
        for (int h : hidden) if (h < 1) throw new IllegalArgumentException("hidden layer sizes must be at least 1, got " + hidden);
        if (heads.isEmpty()) throw new IllegalArgumentException("an MLP needs at least one head");
        heads.forEach((name, classes) -> {
            if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("head name '" + name + "' must be non-empty without dots");
            if (classes < 2) throw new IllegalArgumentException("head '" + name + "' needs at least 2 classes, got " + classes);
        });
    }

    /** The width of the trunk's output: what every head reads. */
    public int trunkWidth() { return hidden.isEmpty() ? inputs : hidden.get(hidden.size() - 1); }

    /** Layer sizes from the inputs through the trunk, e.g. [784, 512, 256]. */
    public List<Integer> trunkSizes() {
        List<Integer> s = new ArrayList<>();
        s.add(inputs);
        s.addAll(hidden);
        return s;
    }

    /** The JSON stored in the model file's metadata: {@code {"layers":[784,512,256],"activation":"relu","heads":{"main":10}}}. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        var layers = o.putArray("layers");
        trunkSizes().forEach(layers::add);
        o.put("activation", activation.token());
        ObjectNode h = o.putObject("heads");
        heads.forEach(h::put);
        return o.toString();
    }

    public static MlpSpec fromJson(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            List<Integer> layers = new ArrayList<>();
            o.path("layers").forEach(n -> layers.add(n.asInt()));
            if (layers.isEmpty()) throw new IllegalArgumentException("architecture has no 'layers': " + json);
            Map<String, Integer> heads = new LinkedHashMap<>();
            o.path("heads").fields().forEachRemaining(e -> heads.put(e.getKey(), e.getValue().asInt()));
            return new MlpSpec(layers.get(0), layers.subList(1, layers.size()), Activation.of(o.path("activation").asText()), heads);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("unreadable architecture JSON: " + e.getOriginalMessage());
        }
    }
}
