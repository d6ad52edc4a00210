package org.mtflow.nodes.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;

/**
 * Builds tasks out of class groups, e.g. Fashion-MNIST's 10 classes as 5 tasks of 2 with
 * {@code groups: [[0,1],[2,3],[4,5],[6,7],[8,9]]}. The result is one dataset artifact whose tasks are
 * label ranges ({@link Dataset.Task}), the same form data.synthetic writes: group g's classes become
 * classes {@code offset_g .. offset_g + |g| − 1}, in the order the group lists them, so an example's
 * label within its task ({@code y − firstClass}) is the class's position in its group. One artifact
 * rather than one per task, because a port holds one artifact: a training node reads every task from
 * it, and a per-task fan-out can still spawn subtasks over {@code tasks}. Examples of classes in no
 * group are dropped; the rest keep their order.
 */
public final class TasksNode implements NodeType<TasksNode.Params> {

    public record Params(
            @Required @Doc("the class indices of each task, e.g. [[0, 1], [2, 3]]; a class in one group at most") List<List<Integer>> groups,
            @Doc("a name per task, default task0, task1, ...") List<String> names) {
        public Params {
            if (groups == null || groups.isEmpty()) throw new IllegalArgumentException("groups must list at least one group of classes");
            for (int g = 0; g < groups.size(); g++) {
                if (groups.get(g) == null || groups.get(g).isEmpty()) throw new IllegalArgumentException("group " + g + " is empty");
                for (Integer c : groups.get(g)) {
                    if (c == null || c < 0) throw new IllegalArgumentException("group " + g + " holds " + c + ", not a class index");
                    for (int h = 0; h < g; h++) {
                        if (groups.get(h).contains(c)) throw new IllegalArgumentException("class " + c + " is in groups " + h + " and " + g + "; a class belongs to one task");
                    }
                }
                if (groups.get(g).stream().distinct().count() != groups.get(g).size()) throw new IllegalArgumentException("group " + g + " lists a class twice");
            }
            if (names != null && names.size() != groups.size()) {
                throw new IllegalArgumentException(names.size() + " names for " + groups.size() + " groups");
            }
        }
    }

    @Override public String name() { return "data.tasks"; }
    @Override public String description() { return "Tasks from groups of classes, relabelled within each task, as one dataset with task ranges."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.one("dataset", "a dataset artifact").of(Port.Kind.DATASET)); }
    @Override public List<Port> outputs() { return List.of(Port.one("dataset", "the grouped dataset; its tasks are label ranges").of(Port.Kind.DATASET)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        Dataset ds = Dataset.read(ctx.input("dataset"));
        int[] newLabel = new int[ds.classes().size()];
        Arrays.fill(newLabel, -1);
        List<String> classes = new ArrayList<>();
        List<Dataset.Task> tasks = new ArrayList<>();
        for (int g = 0; g < p.groups().size(); g++) {
            String task = p.names() != null ? p.names().get(g) : "task" + g;
            tasks.add(new Dataset.Task(task, classes.size(), p.groups().get(g).size()));
            for (int c : p.groups().get(g)) {
                if (c >= newLabel.length) {
                    throw NodeException.permanent("group " + g + " holds class " + c + ", but dataset " + ds.name() + " has "
                            + newLabel.length + " classes (0.." + (newLabel.length - 1) + ")");
                }
                newLabel[c] = classes.size();
                classes.add(task + "/" + ds.classes().get(c));
            }
        }
        Map<String, Dataset.Split> out = new LinkedHashMap<>();
        long dropped = 0;
        for (Map.Entry<String, Dataset.Split> e : ds.splits().entrySet()) {
            Dataset.Split s = e.getValue();
            for (int i = 0; i < s.size(); i++) {
                float y = s.y().data()[i];
                if (y != (int) y || y < 0 || y >= newLabel.length) {
                    throw NodeException.permanent(e.getKey() + " example " + i + " of dataset " + ds.name() + " has label " + y
                            + ", not one of its " + newLabel.length + " classes");
                }
            }
            Dataset.Split kept = relabel(s, newLabel);
            dropped += s.size() - kept.size();
            out.put(e.getKey(), kept);
            ctx.metric(e.getKey() + "-examples", kept.size());
        }
        ctx.metric("dropped-examples", dropped);
        Dataset result = new Dataset(ds.name(), classes, out.get("train"), out.get("val"), out.get("test"), tasks);
        ctx.output("dataset", result::write);
    }

    /** The rows whose class has a new label, relabelled, in order. */
    static Dataset.Split relabel(Dataset.Split s, int[] newLabel) {
        int f = s.x().dim(1), n = 0;
        float[] y = s.y().data();
        for (float v : y) if (newLabel[(int) v] >= 0) n++;
        float[] nx = new float[n * f], ny = new float[n];
        int at = 0;
        for (int i = 0; i < y.length; i++) {
            int l = newLabel[(int) y[i]];
            if (l < 0) continue;
            System.arraycopy(s.x().data(), i * f, nx, at * f, f);
            ny[at++] = l;
        }
        return new Dataset.Split(Tensor.of(nx, n, f), Tensor.of(ny, n));
    }
}
