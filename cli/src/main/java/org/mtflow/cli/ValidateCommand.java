package org.mtflow.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.mtflow.devices.Devices;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.engine.spec.InputBinding;
import org.mtflow.engine.spec.OutputRef;
import org.mtflow.engine.spec.TaskSpec;
import org.mtflow.engine.spec.WorkflowSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks a workflow file without running it; prints every problem with file:line:column.",
                "When it is valid, lists its tasks as they will run: id, node type, and the outputs feeding each input."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:the workflow is valid", "2:it is not"})
final class ValidateCommand implements Callable<Integer> {

    @Mixin
    WorkflowFileArgs workflow;

    @Option(names = "--no-devices", description = "skip the check that this machine has a device for every task")
    boolean noDevices;

    @Override
    public Integer call() {
        Optional<LoadedWorkflow> w = workflow.load(
                noDevices ? null : Devices.discover(true).stream().map(d -> d.info()).toList());
        if (w.isEmpty()) return Main.INVALID;
        System.out.println(workflow.file + ": valid (" + w.get().spec().tasks().size() + " tasks)");
        System.out.print(taskList(w.get().spec()));
        return Main.OK;
    }

    /**
     * The tasks as they will run (after expansion), one a line: id, node type, and each input with
     * the outputs that feed it; a partial list says how many of them must succeed.
     */
    static String taskList(WorkflowSpec spec) {
        int idWidth = spec.tasks().stream().mapToInt(t -> t.id().length()).max().orElse(0);
        int typeWidth = spec.tasks().stream().mapToInt(t -> t.type().length()).max().orElse(0);
        StringBuilder out = new StringBuilder();
        for (TaskSpec t : spec.tasks()) {
            List<String> inputs = new ArrayList<>();
            for (Map.Entry<String, InputBinding> e : t.inputs().entrySet()) {
                String refs = e.getValue().refs().stream().map(OutputRef::toString).collect(Collectors.joining(", "));
                if (e.getValue() instanceof InputBinding.Many m) {
                    refs = (m.partial() ? m.minSuccess() + " of " : "") + "[" + refs + "]";
                }
                inputs.add(e.getKey() + " <- " + refs);
            }
            String line = String.format("  %-" + idWidth + "s  %-" + typeWidth + "s  %s", t.id(), t.type(),
                    String.join("; ", inputs));
            out.append(line.stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
