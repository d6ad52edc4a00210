package org.mtflow.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real runnable jar in a child JVM, as a user's shell would, and captures what it prints. */
final class Cli {
    static final Path REPO = Path.of("").toAbsolutePath().getParent();
    static final Path JAR = REPO.resolve("cli/target/mtflow.jar");

    record Result(int exit, String out, String err) {
        String all() { return out + err; }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {}

    /** Starts the command without waiting; its output goes to {@code log}. */
    static Process start(Path log, String... args) throws IOException {
        return start(log, Map.of(), args);
    }

    static Process start(Path log, Map<String, String> env, String... args) throws IOException {
        ProcessBuilder pb = command(args).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    private static ProcessBuilder command(String... args) {
        if (!Files.isRegularFile(JAR)) throw new IllegalStateException(JAR + " is missing: run 'mvn package' first");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:LoopUnrollLimit=250", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(REPO.toFile());
    }

    static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = command(args);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("mtflow-out", ".txt");
        Path err = Files.createTempFile("mtflow-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("mtflow " + String.join(" ", args) + " ran past 5 minutes");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static Result run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), args);
    }
}
