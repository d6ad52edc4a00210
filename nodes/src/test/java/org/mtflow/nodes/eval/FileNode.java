package org.mtflow.nodes.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;

/** Test-only: a prepared file (say, predictions or metrics written by the test) as an output artifact of any kind. */
final class FileNode implements NodeType<FileNode.Params> {
    record Params(@Required @Doc("the file to copy") String path) {}

    @Override public String name() { return "test.file"; }
    @Override public String description() { return "Copies a file into the store."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }
    @Override public List<Port> outputs() { return List.of(Port.one("file", "the file's bytes").of(Port.Kind.ANY)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        ctx.output("file", out -> Files.copy(Path.of(ctx.params().path()), out));
    }
}
