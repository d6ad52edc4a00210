package org.mtflow.engine.node;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The node types a workflow may use, by name. */
public final class NodeCatalog {
    private final Map<String, NodeType<?>> types = new LinkedHashMap<>();

    public NodeCatalog(List<NodeType<?>> types) {
        for (NodeType<?> t : types) {
            if (this.types.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("two node types named " + t.name());
            }
        }
    }

    public Optional<NodeType<?>> find(String name) {
        return Optional.ofNullable(types.get(name));
    }

    public Collection<String> names() {
        return types.keySet();
    }

    public Collection<NodeType<?>> all() {
        return types.values();
    }
}
