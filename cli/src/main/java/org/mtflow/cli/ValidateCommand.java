package org.mtflow.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mtflow.devices.Devices;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.dsl.WorkflowLoader;
import org.mtflow.engine.spec.SpecException;
import org.mtflow.nodes.BuiltinNodes;
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
        try {
            LoadedWorkflow w = WorkflowLoader.load(file, ParamOverrides.parse(params), BuiltinNodes.catalog(),
                    noDevices ? null : Devices.discover(true).stream().map(d -> d.info()).toList());
            System.out.println(file + ": valid (" + w.spec().tasks().size() + " tasks)");
            return Main.OK;
        } catch (SpecException e) {
            e.lines().forEach(System.err::println);
            return Main.INVALID;
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return Main.INVALID;
        }
    }
}
