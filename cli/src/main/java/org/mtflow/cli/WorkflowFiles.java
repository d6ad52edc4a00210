package org.mtflow.cli;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.dsl.WorkflowScript;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.nodes.BuiltinNodes;

/** Loads a workflow file for a command; an invalid one is reported on stderr, one line per problem. */
final class WorkflowFiles {
    private WorkflowFiles() {}

    /** The workflow, or empty after printing why it is invalid (the command then exits 2). */
    static Optional<LoadedWorkflow> load(Path file, List<String> paramOptions, Collection<DeviceInfo> devices) {
        try {
            Map<String, String> overrides = ParamOverrides.parse(paramOptions);
            // A .java file is a Java DSL script: compiled in memory and run for its Workflow.
            return Optional.of(WorkflowScript.isScript(file)
                    ? WorkflowScript.load(file, overrides, BuiltinNodes.catalog(), devices)
                    : WorkflowLoader.load(file, overrides, BuiltinNodes.catalog(), devices));
        } catch (SpecException e) {
            e.lines().forEach(System.err::println);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
        }
        return Optional.empty();
    }
}
