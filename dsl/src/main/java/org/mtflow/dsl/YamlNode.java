package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;

/**
 * A YAML value that remembers where it was written (1-based line and column of its first
 * character), so every error can name its place in the file.
 */
public sealed interface YamlNode {

    int line();

    int column();

    /** The plain value, without positions. */
    JsonNode toJson();

    /** The same value placed at another position, children included (used for substituted params). */
    YamlNode at(int line, int column);

    /**
     * A scalar with its YAML type as the parser resolved it: a {@code TextNode} for strings (quoted
     * ones always), {@code IntNode}/{@code LongNode}/{@code BigIntegerNode}, {@code DoubleNode},
     * {@code BooleanNode} or {@code NullNode}.
     */
    record Scalar(JsonNode value, int line, int column) implements YamlNode {
        public boolean isString() { return value.isTextual(); }

        public boolean isNull() { return value.isNull(); }

        @Override
        public JsonNode toJson() { return value; }

        @Override
        public Scalar at(int line, int column) { return new Scalar(value, line, column); }
    }

    record Seq(List<YamlNode> items, int line, int column) implements YamlNode {
        public Seq {
            items = List.copyOf(items);
        }

        @Override
        public JsonNode toJson() {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            for (YamlNode i : items) a.add(i.toJson());
            return a;
        }

        @Override
        public Seq at(int line, int column) {
            return new Seq(items.stream().map(i -> i.at(line, column)).toList(), line, column);
        }
    }

    /** One key of a mapping: the key's own position is kept, for errors about the key. */
    record Entry(String key, int line, int column, YamlNode value) {}

    /** A mapping, in the order written; keys are unique (the reader rejects duplicates). */
    record Mapping(List<Entry> entries, int line, int column) implements YamlNode {
        public Mapping {
            entries = List.copyOf(entries);
        }

        public Optional<Entry> entry(String key) {
            return entries.stream().filter(e -> e.key().equals(key)).findFirst();
        }

        public Optional<YamlNode> get(String key) {
            return entry(key).map(Entry::value);
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            for (Entry e : entries) o.set(e.key(), e.value().toJson());
            return o;
        }

        @Override
        public Mapping at(int line, int column) {
            return new Mapping(entries.stream().map(e -> new Entry(e.key(), line, column, e.value().at(line, column)))
                    .toList(), line, column);
        }
    }

    /** Builds a node from a plain value, every part at one position. */
    static YamlNode of(JsonNode v, int line, int column) {
        if (v.isArray()) {
            List<YamlNode> items = new java.util.ArrayList<>();
            v.forEach(i -> items.add(of(i, line, column)));
            return new Seq(items, line, column);
        }
        if (v.isObject()) {
            List<Entry> entries = new java.util.ArrayList<>();
            v.properties().forEach(e -> entries.add(new Entry(e.getKey(), line, column, of(e.getValue(), line, column))));
            return new Mapping(entries, line, column);
        }
        return new Scalar(v, line, column);
    }

    /**
     * The position of the deepest node the path reaches (keys as Strings, list indexes as
     * Integers); a path ending at a map key gives the key's position.
     */
    static int[] locate(YamlNode root, List<Object> path) {
        int[] at = {root.line(), root.column()};
        YamlNode node = root;
        for (Object step : path) {
            if (node instanceof Mapping m && step instanceof String key) {
                Optional<Entry> e = m.entry(key);
                if (e.isEmpty()) break;
                at = new int[] {e.get().line(), e.get().column()};
                node = e.get().value();
            } else if (node instanceof Seq s && step instanceof Integer i && i >= 0 && i < s.items().size()) {
                node = s.items().get(i);
                at = new int[] {node.line(), node.column()};
            } else {
                break;
            }
        }
        return at;
    }
}
