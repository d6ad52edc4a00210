package org.mtflow.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.dsl.LoadedWorkflow;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The workflow file and its {@code --param} overrides, for the commands that read one (a picocli mixin). */
final class WorkflowFileArgs {

    @Parameters(paramLabel = "FILE", description = "the workflow file")
    Path file;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "override a param (repeatable)")
    List<String> params = new ArrayList<>();

    @Option(names = "--output", paramLabel = "DIR", description = "for a mergekit config (a file with merge_method): the directory "
            + "the merged model is written to (rejected for a workflow)")
    Path output;

    /** As {@link WorkflowFiles#load}: empty after the problems were printed. */
    Optional<LoadedWorkflow> load(Collection<DeviceInfo> devices) {
        return WorkflowFiles.load(file, params, output, devices);
    }
}
