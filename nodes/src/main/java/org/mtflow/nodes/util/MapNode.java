package org.mtflow.nodes.util;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.event.Json;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.Subtask;
import org.mtflow.engine.node.SubtaskResult;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.engine.store.ArtifactRef;

/**
 * Runs a node type once per entry of a list, as subtasks spawned at run time ({@code <task>/0},
 * {@code <task>/1}, …), and writes a JSON index of their outputs. The subtasks are scheduled,
 * cached and journaled like declared tasks: a resumed run does not repeat those that finished.
 */
public final class MapNode implements NodeType<MapNode.Params> {

    public record Params(@Required @Doc("the node type each subtask runs") String node,
                         @Required @Doc("the params of each subtask, one map per subtask") List<Map<String, Object>> each) {}

    @Override public String name() { return "util.map"; }
    @Override public String description() { return "Runs a node type once per entry of 'each' as subtasks; writes an index of their outputs."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.optionalMany("x", "artifacts every subtask gets as its input 'x'")); }
    @Override public List<Port> outputs() { return List.of(Port.one("index", "each subtask's id and output hashes, in order").of(Port.Kind.JSON)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        List<ArtifactRef> x = ctx.hasInput("x") ? ctx.inputRefs("x") : List.of();
        List<Subtask> subtasks = new ArrayList<>();
        for (int i = 0; i < ctx.params().each().size(); i++) {
            ObjectNode params = Json.MAPPER.valueToTree(ctx.params().each().get(i));
            subtasks.add(ctx.spawn(Integer.toString(i), ctx.params().node(), params, x.isEmpty() ? Map.of() : Map.of("x", x)));
        }
        ObjectNode index = Json.MAPPER.createObjectNode();
        ArrayNode children = index.putArray("subtasks");
        int failed = 0;
        for (SubtaskResult r : ctx.await(subtasks)) {
            ObjectNode child = children.addObject().put("task", r.task()).put("succeeded", r.succeeded());
            ObjectNode outputs = child.putObject("outputs");
            r.outputs().forEach((name, ref) -> outputs.put(name, ref.sha256()));
            if (!r.succeeded()) {
                child.put("error", r.error());
                failed++;
            }
        }
        ctx.metric("subtasks", subtasks.size());
        if (failed > 0) throw NodeException.permanent(failed + " of " + subtasks.size() + " subtasks failed");
        byte[] json = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
        ctx.output("index", out -> out.write(json));
    }
}
