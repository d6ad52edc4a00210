package org.mtflow.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.mtflow.devices.Devices;
import org.mtflow.dsl.LoadedWorkflow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Checks a workflow file without running it; prints every problem with file:line:column.",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the workflow is valid", "2:it is not"})
final class ValidateCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the workflow (YAML)")
    Path file;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "override a param (repeatable)")
    List<String> params = new ArrayList<>();

    @Option(names = "--no-devices", description = "skip the check that this machine has a device for every task")
    boolean noDevices;

    @Override
    public Integer call() {
        Optional<LoadedWorkflow> w = WorkflowFiles.load(file, params,
                noDevices ? null : Devices.discover(true).stream().map(d -> d.info()).toList());
        if (w.isEmpty()) return Main.INVALID;
        System.out.println(file + ": valid (" + w.get().spec().tasks().size() + " tasks)");
        return Main.OK;
    }
}
