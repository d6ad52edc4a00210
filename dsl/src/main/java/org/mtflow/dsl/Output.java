package org.mtflow.dsl;

import org.mtflow.engine.spec.OutputRef;

/**
 * A named output of a task, to wire into another task's inputs: {@code b.inputs("x", a.out("tensor"))}.
 * The name is checked against the producer's node type when the workflow is built, and a wrong one
 * is reported at the line that called {@link Task#out}.
 */
public final class Output {
    private final Task task;
    private final String name;
    final CallSite site;

    Output(Task task, String name, CallSite site) {
        this.task = task;
        this.name = name;
        this.site = site;
    }

    /** The task that writes it. */
    public Task task() { return task; }

    /** The output's name, e.g. {@code tensor}. */
    public String name() { return name; }

    /** As written in workflow files, {@code task.output}. */
    public OutputRef ref() { return new OutputRef(task.id(), name); }

    @Override
    public String toString() { return ref().toString(); }
}
