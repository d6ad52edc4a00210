import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs JUnit 5 test classes without Maven: GpuTests SUMMARY_FILE CLASS...
 * Prints each failure and finished class as it happens, to stdout and to SUMMARY_FILE (flushed, so
 * a killed run leaves its progress there), then the summary with the failures' stack traces; exits
 * 0 when every test passed, 1 otherwise (2: nothing ran).
 */
public final class GpuTests {
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: GpuTests SUMMARY_FILE CLASS...");
            System.exit(2);
        }
        Path summaryFile = Path.of(args[0]);
        List<ClassSelector> selectors = new ArrayList<>();
        for (int i = 1; i < args.length; i++) selectors.add(selectClass(args[i]));
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        PrintWriter w = new PrintWriter(Files.newBufferedWriter(summaryFile, StandardCharsets.UTF_8), true);
        w.printf(Locale.ROOT, "classes: %s%nseed: %s%njava: %s%n", String.join(" ", List.of(args).subList(1, args.length)),
                System.getProperty("mtflow.test.seed", "(none given)"), Runtime.version());
        long[] finished = new long[2];
        long t0 = System.nanoTime();
        TestExecutionListener progress = new TestExecutionListener() {
            @Override
            public void executionStarted(TestIdentifier id) {
                if (isClass(id)) System.out.println("tests: start " + id.getDisplayName());
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    finished[0]++;
                    if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) finished[1]++;
                }
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    line("tests: " + result.getStatus() + " " + id.getUniqueId() + ": "
                            + result.getThrowable().map(Throwable::toString).orElse("?"));
                }
                if (isClass(id)) {
                    line(String.format(Locale.ROOT, "tests: done %s (%s) at %.1f s; so far %d tests finished, %d not successful",
                            id.getDisplayName(), result.getStatus(), (System.nanoTime() - t0) / 1e9, finished[0], finished[1]));
                }
            }

            private void line(String text) {
                System.out.println(text);
                w.println(text);
            }

            private boolean isClass(TestIdentifier id) {
                return id.getSource().map(s -> s instanceof org.junit.platform.engine.support.descriptor.ClassSource).orElse(false);
            }
        };
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, summary, progress);
        TestExecutionSummary s = summary.getSummary();
        try (w) {
            s.printTo(w);
            s.printFailuresTo(w, 25);
            w.printf(Locale.ROOT, "%ntests: %d found, %d succeeded, %d failed, %d aborted, %d skipped; containers failed %d%n",
                    s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTestsFailedCount(), s.getTestsAbortedCount(),
                    s.getTestsSkippedCount(), s.getContainersFailedCount());
        }
        PrintWriter out = new PrintWriter(System.out, true);
        s.printTo(out);
        s.printFailuresTo(out, 25);
        boolean ok = s.getTotalFailureCount() == 0 && s.getTestsFoundCount() > 0 && s.getTestsAbortedCount() == 0;
        System.out.printf(Locale.ROOT, "tests: %s: %d found, %d succeeded, %d failed, %d aborted, %d skipped; containers failed %d%n",
                ok ? "PASSED" : "FAILED", s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTestsFailedCount(),
                s.getTestsAbortedCount(), s.getTestsSkippedCount(), s.getContainersFailedCount());
        System.exit(s.getTestsFoundCount() == 0 ? 2 : ok ? 0 : 1);
    }
}
