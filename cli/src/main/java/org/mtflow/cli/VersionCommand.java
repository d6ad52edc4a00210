package org.mtflow.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Prints the versions of mtflow, Java and Pekko.")
final class VersionCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        for (String line : lines()) System.out.println(line);
        return Main.OK;
    }

    static String[] lines() {
        String version = Main.class.getPackage().getImplementationVersion();
        return new String[] {
            "mtflow " + (version == null ? "(development build)" : version),
            "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")",
            "pekko " + org.apache.pekko.Version.current(),
        };
    }

    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return lines();
        }
    }
}
