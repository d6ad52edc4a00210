package org.mtflow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mtflow} command. */
@Command(name = "mtflow", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "Runs multi-task machine-learning workflows declared in YAML.",
        subcommands = {RunCommand.class, ResumeCommand.class, StatusCommand.class, CancelCommand.class, NodeCommand.class, ValidateCommand.class,
                SchemaCommand.class,
                GraphCommand.class,
                ExportCommand.class,
                DevicesCommand.class, DoctorCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit codes: 0 all went well, 1 the run (or a check) failed, 2 the input is invalid. */
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int INVALID = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        // Start SLF4J before Pekko's threads race to do it (else SLF4J prints a "replay" warning).
        org.slf4j.LoggerFactory.getILoggerFactory();
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (tests call this in-process). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // A bug or an environment failure: one clear line; the stack trace only on request.
                    cmd.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                    if (System.getenv("MTFLOW_DEBUG") != null) e.printStackTrace(cmd.getErr());
                    else cmd.getErr().println("(set MTFLOW_DEBUG=1 to see the stack trace)");
                    return FAILED;
                });
        return cli.execute(args);
    }
}
