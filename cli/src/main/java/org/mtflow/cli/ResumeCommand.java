package org.mtflow.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.mtflow.devices.Device;
import org.mtflow.devices.Devices;
import org.mtflow.dsl.LoadedWorkflow;
import org.mtflow.engine.run.RunIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Continues a run that stopped (killed, crashed, power lost, or failed): tasks its journal "
                + "records as finished are not run again; the rest run. The run keeps its id, and its events.jsonl "
                + "and report.json go on where they stopped.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every task succeeded", "1:the run failed", "2:the input is invalid or there is no such run"})
final class ResumeCommand implements Callable<Integer> {

    @Parameters(paramLabel = "RUN-ID", description = "the run to continue (a directory under HOME/runs)")
    String runId;

    @Mixin
    EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (!RunIds.valid(runId)) {
            System.err.println("error: '" + runId + "' is not a valid run id: use letters, digits, '.', '_' or '-'");
            return Main.INVALID;
        }
        if (!engine.valid()) return Main.INVALID;
        Path spec = Home.resolve(engine.home).resolve("runs").resolve(runId).resolve("spec.yaml");
        if (!Files.isRegularFile(spec)) {
            System.err.println("error: there is no run '" + runId + "' in " + Home.resolve(engine.home)
                    + " (no " + spec + "); check the id and --home");
            return Main.INVALID;
        }
        List<Device> devices = Devices.discover(!engine.jvmOnly);
        Optional<LoadedWorkflow> loaded = WorkflowFiles.load(spec, List.of(), devices.stream().map(Device::info).toList());
        if (loaded.isEmpty()) return Main.INVALID;
        // The saved text itself: it is what the run was started with, byte for byte.
        return engine.run(loaded.get(), runId, Files.readString(spec, StandardCharsets.UTF_8), devices);
    }
}
