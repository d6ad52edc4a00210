package org.mtflow.dsl;

import java.util.List;

/**
 * The tasks one {@link Workflow#forEach} made, one per item, in item order; {@link #out} wires all of
 * them into a list input: {@code sum.inputs("values", group.out("tensor"))}.
 */
public record TaskGroup(List<Task> tasks) {
    public TaskGroup {
        tasks = List.copyOf(tasks);
    }

    /** The output of that name of every task, in item order. */
    public List<Output> out(String name) {
        return tasks.stream().map(t -> t.out(name)).toList();
    }

    public Task get(int index) { return tasks.get(index); }

    public int size() { return tasks.size(); }
}
