package org.mtflow.nodes.data;

import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;

/**
 * One task of a multi-task dataset (data.tasks, data.synthetic) as a dataset of its own, labels
 * relative to the task and named after it ({@link Dataset#task}): what a {@code foreach} over task
 * indexes feeds to train.fit or train.finetune to get one model per task, and to model.predict /
 * eval.metrics to score a model on that task alone.
 */
public final class TaskNode implements NodeType<TaskNode.Params> {

    public record Params(
            @Doc("the task's position in the dataset's task list, from 0; give this or name") Integer index,
            @Doc("the task's name; give this or index") String name) {
        public Params {
            if ((index == null) == (name == null)) throw new IllegalArgumentException("give exactly one of index and name to pick the task");
            if (index != null && index < 0) throw new IllegalArgumentException("index must be >= 0, got " + index);
        }
    }

    @Override public String name() { return "data.task"; }
    @Override public String description() { return "One task of a multi-task dataset as its own dataset, labels relative to the task."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.one("dataset", "a dataset with tasks (data.tasks, data.synthetic)").of(Port.Kind.DATASET)); }
    @Override public List<Port> outputs() { return List.of(Port.one("dataset", "the task's examples, labels 0 .. classes − 1, named after the task").of(Port.Kind.DATASET)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        Dataset ds = Dataset.read(ctx.input("dataset"));
        List<String> names = ds.tasks().stream().map(Dataset.Task::name).toList();
        if (ds.tasks().isEmpty()) {
            throw NodeException.permanent("dataset " + ds.name() + " lists no tasks; make them with data.tasks (class groups) first");
        }
        int t = p.index() != null ? p.index() : ds.taskIndex(p.name());
        if (t < 0 || t >= names.size()) {
            throw NodeException.permanent("dataset " + ds.name() + " has no task " + (p.index() != null ? "index " + p.index() : "'" + p.name() + "'")
                    + "; its tasks are " + names + " (index 0.." + (names.size() - 1) + ")");
        }
        Dataset task = ds.task(t);
        ctx.metric("task", task.name());
        for (var e : task.splits().entrySet()) ctx.metric(e.getKey() + "-examples", e.getValue().size());
        ctx.output("dataset", task::write);
    }
}
