package org.mtflow.cli;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.dsl.MergekitImport;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.dsl.WorkflowScript;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.nodes.BuiltinNodes;

/** Loads a workflow file for a command; an invalid one is reported on stderr, one line per problem. */
final class WorkflowFiles {
    private WorkflowFiles() {}

    /** The workflow, or empty after printing why it is invalid (the command then exits 2). */
    static Optional<LoadedWorkflow> load(Path file, List<String> paramOptions, Collection<DeviceInfo> devices) {
        return load(file, paramOptions, null, devices);
    }

    /**
     * As {@link #load(Path, List, Collection)}; a mergekit config (a YAML file with merge_method) is
     * imported as a workflow that writes the merged model to {@code output} (null: to the artifact
     * store). {@code output} is for mergekit configs only: given with a workflow, it is rejected.
     */
    static Optional<LoadedWorkflow> load(Path file, List<String> paramOptions, Path output, Collection<DeviceInfo> devices) {
        try {
            if (MergekitImport.isConfig(file)) {
                if (!paramOptions.isEmpty()) {
                    System.err.println("error: --param does not apply to " + file + ": a mergekit config has no params; edit the file");
                    return Optional.empty();
                }
                MergekitImport.Imported imported = MergekitImport.load(file, output, BuiltinNodes.catalog(), devices);
                imported.notes().forEach(System.err::println);
                return Optional.of(imported.workflow());
            }
            if (output != null) {
                System.err.println("error: --output applies to mergekit configs (files with merge_method) only; a workflow's"
                        + " outputs go to the artifact store and HOME/runs/RUN-ID: remove --output");
                return Optional.empty();
            }
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
