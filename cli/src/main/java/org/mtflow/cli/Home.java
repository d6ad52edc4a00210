package org.mtflow.cli;

import java.nio.file.Path;

/** Where mtflow keeps its state: {@code --home}, else {@code MTFLOW_HOME}, else {@code ./.mtflow}. */
final class Home {
    private Home() {}

    static Path resolve(Path option) {
        if (option != null) return option.toAbsolutePath().normalize();
        String env = System.getenv("MTFLOW_HOME");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath().normalize();
        return Path.of(".mtflow").toAbsolutePath().normalize();
    }
}
