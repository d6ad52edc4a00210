package org.mtflow.cli;

import java.util.Optional;
import java.util.concurrent.Callable;
import org.mtflow.dsl.LoadedWorkflow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Prints a workflow as canonical YAML: params substituted, defaults left out; it loads back to the same workflow.",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the YAML was printed", "2:the workflow is invalid"})
final class ExportCommand implements Callable<Integer> {

    @Mixin
    WorkflowFileArgs workflow;

    @Override
    public Integer call() {
        // No device check: the export runs nothing, and may be meant for another machine.
        Optional<LoadedWorkflow> w = workflow.load(null);
        if (w.isEmpty()) return Main.INVALID;
        System.out.print(w.get().resolvedYaml());
        return Main.OK;
    }
}
