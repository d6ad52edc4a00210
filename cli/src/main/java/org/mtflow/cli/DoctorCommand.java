package org.mtflow.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.mtflow.devices.Devices;
import org.mtflow.nodes.data.FashionMnistNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Checks the environment; for each missing piece prints the command that fixes it.",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:all checks passed", "1:something is missing"})
final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--home", paramLabel = "DIR", description = "state directory to check (default: $MTFLOW_HOME, else ./.mtflow)")
    Path home;

    /** One check: what it found, and the command that fixes it when it failed. */
    record Check(String name, boolean ok, String found, String fix) {}

    @Override
    public Integer call() {
        List<Check> checks = checks(Home.resolve(home));
        boolean ok = true;
        for (Check c : checks) {
            System.out.printf("%-4s %-13s %s%n", c.ok() ? "ok" : "FAIL", c.name(), c.found());
            if (!c.ok()) {
                System.out.println("     fix: " + c.fix());
                ok = false;
            }
        }
        System.out.println(ok ? "all checks passed" : "some checks failed: run the fix commands above");
        return ok ? Main.OK : Main.FAILED;
    }

    static List<Check> checks(Path home) {
        List<Check> out = new ArrayList<>();
        int feature = Runtime.version().feature();
        out.add(new Check("java", feature >= 17, "Java " + Runtime.version() + " at " + System.getProperty("java.home"),
                "apt-get install -y openjdk-17-jdk-headless"));

        Devices.OpenClProbe probe = Devices.probeOpenCl();
        out.add(new Check("opencl", probe.problem() == null,
                probe.problem() == null ? probe.devices().size() + " device(s): "
                        + String.join(", ", probe.devices().stream().map(d -> d.getName().trim()).toList())
                        : probe.problem() + " (tasks will run on the JVM device)",
                "apt-get install -y pocl-opencl-icd ocl-icd-libopencl1"));

        Path jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        String preload = System.getenv().getOrDefault("LD_PRELOAD", "");
        boolean jsigOk = Files.isRegularFile(jsig) && preload.contains("libjsig");
        out.add(new Check("libjsig", jsigOk, jsigOk ? "preloaded (" + preload + ")"
                        : Files.isRegularFile(jsig) ? "not preloaded: OpenCL (PoCL) may crash the JVM" : jsig + " is missing",
                "export LD_PRELOAD=" + jsig + "   (the ./mtflow launcher does this)"));

        Path data = Path.of(FashionMnistNode.DEFAULT_DIR);
        List<String> missing = new ArrayList<>();
        for (String f : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            if (!Files.isRegularFile(data.resolve(f))) missing.add(f);
        }
        out.add(new Check("dataset", missing.isEmpty(), missing.isEmpty() ? "Fashion-MNIST in " + data
                        : "Fashion-MNIST missing in " + data + ": " + String.join(", ", missing),
                "apt-get install -y dataset-fashion-mnist"));

        String homeProblem = writable(home);
        out.add(new Check("home", homeProblem == null, homeProblem == null ? home + " is writable" : homeProblem,
                "mkdir -p " + home + " && chmod u+w " + home + "   (or pass --home DIR)"));
        return out;
    }

    private static String writable(Path home) {
        try {
            Files.createDirectories(home);
            Path probe = Files.createTempFile(home, ".doctor", ".tmp");
            Files.delete(probe);
            return null;
        } catch (IOException | SecurityException e) {
            return home + " is not writable: " + e.getMessage();
        }
    }
}
