package org.mtflow.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.mtflow.engine.node.NoParams;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;

/** Small node types for loader tests: the loader checks against them and never runs them. */
final class TestNodes {
    private TestNodes() {}

    static NodeCatalog catalog() {
        return new NodeCatalog(List.of(new Source(), new Sum(), new Noop(), new Any()));
    }

    record SourceParams(@Required List<Integer> shape, Long seed) {}

    record SumParams(Double scale, String label) {}

    /** Params of any JSON shape, so random specs can carry random values. */
    record AnyParams(JsonNode a, JsonNode b, JsonNode c) {}

    private abstract static class NotRun<P extends Record> implements NodeType<P> {
        @Override
        public String description() { return "a test node type"; }

        @Override
        public void run(TaskContext<P> ctx) {
            throw new UnsupportedOperationException("test node types are only validated, never run");
        }
    }

    static final class Source extends NotRun<SourceParams> {
        @Override public String name() { return "t.source"; }
        @Override public Class<SourceParams> paramsType() { return SourceParams.class; }
        @Override public List<Port> inputs() { return List.of(); }
        @Override public List<Port> outputs() { return List.of(Port.one("tensor", "a tensor")); }
    }

    static final class Sum extends NotRun<SumParams> {
        @Override public String name() { return "t.sum"; }
        @Override public Class<SumParams> paramsType() { return SumParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.many("values", "tensors to add")); }
        @Override public List<Port> outputs() { return List.of(Port.one("tensor", "their sum")); }
    }

    static final class Noop extends NotRun<NoParams> {
        @Override public String name() { return "t.noop"; }
        @Override public Class<NoParams> paramsType() { return NoParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.optional("x", "passed through")); }
        @Override public List<Port> outputs() { return List.of(Port.one("out", "the input")); }
    }

    static final class Any extends NotRun<AnyParams> {
        @Override public String name() { return "t.any"; }
        @Override public Class<AnyParams> paramsType() { return AnyParams.class; }
        @Override public List<Port> inputs() { return List.of(Port.optionalMany("in", "anything")); }
        @Override public List<Port> outputs() { return List.of(Port.one("out", "something")); }
    }
}
