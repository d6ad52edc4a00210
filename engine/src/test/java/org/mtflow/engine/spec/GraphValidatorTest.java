package org.mtflow.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mtflow.engine.testkit.Specs.task;
import static org.mtflow.engine.testkit.Specs.workflow;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.devices.DeviceKind;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.devices.Devices;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.testkit.Specs;
import org.mtflow.engine.testkit.TestNodes;

class GraphValidatorTest {
    private static final NodeCatalog CATALOG = TestNodes.catalog();
    private static final List<DeviceInfo> JVM_ONLY = List.of(Devices.jvmDevice(2).info());

    private static List<Problem> validate(WorkflowSpec spec) {
        return GraphValidator.validate(spec, CATALOG, JVM_ONLY);
    }

    /** Exactly one problem, or a failure that lists them all. */
    private static Problem single(List<Problem> problems) {
        assertEquals(1, problems.size(), () -> "expected one problem, got: " + describe(problems));
        return problems.get(0);
    }

    private static String describe(List<Problem> problems) {
        return problems.stream().map(p -> p.pathText() + ": " + p.text()).collect(Collectors.joining("; "));
    }

    @Test
    void aValidDiamondHasNoProblems() {
        List<Problem> problems = validate(Specs.diamond(1, 10));
        assertTrue(problems.isEmpty(), () -> describe(problems));
    }

    @Test
    void unknownNodeTypeIsReportedWithASuggestion() {
        Problem p = single(validate(workflow("w", 1, task("a", "test.sorce").with("n", 1).build())));
        assertEquals("tasks.a.type", p.pathText());
        assertTrue(p.message().contains("unknown node type 'test.sorce'"), p.message());
        assertEquals("did you mean 'test.source'?", p.suggestion());
    }

    @Test
    void unknownNodeTypeFarFromAnyNameListsTheValidOnes() {
        Problem p = single(validate(workflow("w", 1, task("a", "merge.ties").build())));
        assertTrue(p.suggestion().startsWith("expected one of: test.source, test.scale"), p.suggestion());
    }

    @Test
    void missingRequiredInputIsReported() {
        Problem p = single(validate(workflow("w", 1, task("total", "test.sum").build())));
        assertEquals("tasks.total", p.pathText());
        assertTrue(p.message().contains("test.sum needs input 'values'"), p.message());
    }

    @Test
    void optionalInputsMayBeLeftOut() {
        assertTrue(validate(workflow("w", 1, task("f", "test.flaky").build())).isEmpty());
    }

    @Test
    void referenceToAnUnknownTaskIsReportedWithASuggestion() {
        WorkflowSpec spec = workflow("w", 1,
                task("source", "test.source").with("n", 1).build(),
                task("s", "test.scale").with("factor", 1.0).input("x", "sourse.values").build());
        Problem p = single(validate(spec));
        assertEquals("tasks.s.inputs.x", p.pathText());
        assertTrue(p.message().contains("unknown task 'sourse'"), p.message());
        assertEquals("did you mean 'source'?", p.suggestion());
    }

    @Test
    void referenceInsideAListIsLocatedByIndex() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.source").with("n", 1).build(),
                task("total", "test.sum").inputs("values", "a.values", "nope.values").build());
        Problem p = single(validate(spec));
        assertEquals("tasks.total.inputs.values[1]", p.pathText());
    }

    @Test
    void minSuccessFromOneToTheListSizeIsValid() {
        for (int k = 1; k <= 3; k++) {
            WorkflowSpec spec = workflow("w", 1,
                    task("a", "test.source").with("n", 1).build(),
                    task("b", "test.flaky").build(),
                    task("total", "test.sum").inputs("values", k, "a.values", "b.out", "a.values").build());
            List<Problem> problems = validate(spec);
            assertTrue(problems.isEmpty(), () -> describe(problems));
        }
        // An empty list needs all of nothing: the default, not an error.
        List<Problem> problems = validate(workflow("w", 1, task("f", "test.flaky").inputs("x").build()));
        assertTrue(problems.isEmpty(), () -> describe(problems));
    }

    @Test
    void minSuccessBelowOneIsReportedAtItsPlace() {
        for (int k : new int[] {0, -1}) {
            WorkflowSpec spec = workflow("w", 1,
                    task("a", "test.source").with("n", 1).build(),
                    task("total", "test.sum").inputs("values", k, "a.values", "a.values").build());
            Problem p = single(validate(spec));
            assertEquals("tasks.total.inputs.values.min-success", p.pathText());
            assertEquals("min-success of input 'values' must be at least 1, got " + k, p.message());
            assertEquals("leave it out to need all 2 outputs", p.suggestion());
        }
    }

    @Test
    void minSuccessAboveTheListSizeIsReportedAtItsPlace() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.source").with("n", 1).build(),
                task("total", "test.sum").inputs("values", 3, "a.values", "a.values").build());
        Problem p = single(validate(spec));
        assertEquals("tasks.total.inputs.values.min-success", p.pathText());
        assertEquals("min-success of input 'values' is 3 but the list has only 2 outputs", p.message());
        assertEquals("use at most 2, or leave it out to need them all", p.suggestion());

        Problem empty = single(validate(workflow("w", 1, task("f", "test.flaky").inputs("x", 1).build())));
        assertEquals("tasks.f.inputs.x.min-success", empty.pathText());
        assertEquals("min-success of input 'x' is 1 but the list has only 0 outputs", empty.message());
        assertEquals("list the outputs under 'from'", empty.suggestion());
    }

    @Test
    void referencesOfAPartialListAreStillCheckedEachByIndex() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.source").with("n", 1).build(),
                task("total", "test.sum").inputs("values", 1, "a.values", "nope.values").build());
        Problem p = single(validate(spec));
        assertEquals("tasks.total.inputs.values[1]", p.pathText());
        assertTrue(p.message().contains("unknown task 'nope'"), p.message());
    }

    @Test
    void aPartialListIsPartOfACycleLikeAnyOther() {
        Problem p = single(validate(workflow("w", 1,
                task("a", "test.flaky").inputs("x", 1, "b.out").build(),
                task("b", "test.flaky").inputs("x", 1, "a.out", "a.out").build())));
        assertEquals("cycle: a -> b -> a", p.message());
    }

    @Test
    void referenceToAnUnknownOutputIsReportedWithASuggestion() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.source").with("n", 1).build(),
                task("s", "test.scale").with("factor", 1.0).input("x", "a.valuez").build());
        Problem p = single(validate(spec));
        assertEquals("tasks.s.inputs.x", p.pathText());
        assertTrue(p.message().contains("task 'a' (test.source) has no output 'valuez'"), p.message());
        assertEquals("did you mean 'values'?", p.suggestion());
    }

    @Test
    void unknownInputNameIsReported() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.source").with("n", 1).build(),
                task("s", "test.scale").with("factor", 1.0).input("x", "a.values").input("y", "a.values").build());
        Problem p = single(validate(spec));
        assertEquals("tasks.s.inputs.y", p.pathText());
        assertTrue(p.message().contains("unknown input 'y' for test.scale"), p.message());
        assertEquals("did you mean 'x'?", p.suggestion());
    }

    @Test
    void aListBoundToASingleInputIsReported() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.source").with("n", 1).build(),
                task("s", "test.scale").with("factor", 1.0).inputs("x", "a.values", "a.values").build());
        Problem p = single(validate(spec));
        assertTrue(p.message().contains("takes one output, not a list"), p.message());
    }

    @Test
    void cycleIsReportedWithItsTasksInDataFlowOrder() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.flaky").inputs("x", "c.out").build(),
                task("b", "test.flaky").inputs("x", "a.out").build(),
                task("c", "test.flaky").inputs("x", "b.out").build(),
                task("d", "test.flaky").inputs("x", "c.out").build());
        Problem p = single(validate(spec));
        assertEquals("cycle: a -> b -> c -> a", p.message());
        assertTrue(p.pathText().startsWith("tasks."), p.pathText());
    }

    @Test
    void aLongChainDeclaredConsumerFirstValidates() {
        // Each task reads the next one declared: the walk from the first goes n deep (a recursive
        // walk overflowed the stack at a few thousand).
        int n = 300_000;
        TaskSpec[] tasks = new TaskSpec[n];
        for (int i = 0; i < n; i++) {
            Specs.Task t = task("t" + i, "test.flaky");
            tasks[i] = (i + 1 < n ? t.inputs("x", "t" + (i + 1) + ".out") : t).build();
        }
        assertEquals(List.of(), validate(workflow("long", 1, tasks)));
    }

    @Test
    void aCycleThroughALongChainIsFound() {
        int n = 200_000;
        TaskSpec[] tasks = new TaskSpec[n];
        for (int i = 0; i < n; i++) tasks[i] = task("t" + i, "test.flaky").inputs("x", "t" + ((i + 1) % n) + ".out").build();
        Problem p = single(validate(workflow("ring", 1, tasks)));
        assertTrue(p.message().startsWith("cycle: t0 -> t" + (n - 1) + " -> t" + (n - 2) + " -> "), p.message());
        assertTrue(p.message().endsWith(" -> t1 -> t0"), p.message());
    }

    @Test
    void aTaskReadingItsOwnOutputIsACycle() {
        Problem p = single(validate(workflow("w", 1, task("a", "test.flaky").inputs("x", "a.out").build())));
        assertEquals("cycle: a -> a", p.message());
    }

    @Test
    void duplicateTaskIdsAreReported() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.source").with("n", 1).build(),
                task("a", "test.source").with("n", 2).build());
        Problem p = single(validate(spec));
        assertTrue(p.message().contains("duplicate task id 'a'"), p.message());
    }

    @Test
    void badParamsAreReportedUnderWith() {
        WorkflowSpec spec = workflow("w", 1, task("a", "test.source").with("n", "ten").with("hihg", 1.0).build());
        List<Problem> problems = validate(spec);
        assertEquals(List.of("tasks.a.with.n", "tasks.a.with.hihg"), problems.stream().map(Problem::pathText).toList(),
                () -> describe(problems));
        assertEquals("did you mean 'high'?", problems.get(1).suggestion());
    }

    @Test
    void badPoliciesAreReportedEachAtItsPlace() {
        WorkflowSpec spec = workflow("w", 1, task("a", "test.flaky")
                .retry(new RetryPolicy(0, Duration.ofMillis(1), Duration.ofMillis(1), 1.5, List.of(ErrorClass.ANY)))
                .timeout(Duration.ZERO)
                .resources(new Resources(DeviceSelector.ANY, 0, 0))
                .build());
        List<Problem> problems = validate(spec);
        assertEquals(List.of("tasks.a.retry.attempts", "tasks.a.retry.jitter", "tasks.a.timeout",
                "tasks.a.resources.slots"), problems.stream().map(Problem::pathText).toList(), () -> describe(problems));
    }

    @Test
    void negativeTimeoutAndJitterAreRejected() {
        WorkflowSpec spec = workflow("w", 1, task("a", "test.flaky")
                .retry(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(1), -0.1, List.of(ErrorClass.ANY)))
                .timeout(Duration.ofSeconds(-1))
                .build());
        assertEquals(List.of("tasks.a.retry.jitter", "tasks.a.timeout"),
                validate(spec).stream().map(Problem::pathText).toList());
    }

    @Test
    void aGpuTaskCannotRunWithOnlyTheJvmDevice() {
        Problem p = single(validate(workflow("w", 1, task("a", "test.flaky").device(DeviceSelector.GPU).build())));
        assertEquals("tasks.a.resources", p.pathText());
        assertTrue(p.message().contains("no device can run task 'a': it needs device gpu"), p.message());
        assertEquals("devices here: jvm (jvm)", p.suggestion());
    }

    @Test
    void aGpuTaskValidatesWhenAGpuIsPresent() {
        List<DeviceInfo> withGpu = List.of(JVM_ONLY.get(0),
                new DeviceInfo("opencl0", DeviceKind.GPU, "test gpu", 8, 1L << 30, "opencl"));
        assertTrue(GraphValidator.validate(workflow("w", 1, task("a", "test.flaky").device(DeviceSelector.GPU).build()),
                CATALOG, withGpu).isEmpty());
    }

    @Test
    void memoryNoDeviceHasIsReported() {
        List<DeviceInfo> small = List.of(new DeviceInfo("jvm", DeviceKind.JVM, "small", 2, 1L << 30, "java"));
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.flaky").resources(new Resources(DeviceSelector.CPU, 2L << 30, 1)).build());
        Problem p = single(GraphValidator.validate(spec, CATALOG, small));
        assertTrue(p.message().endsWith("it needs device cpu with 2GiB"), p.message());
        assertTrue(GraphValidator.validate(spec, CATALOG, null).isEmpty(), "null devices skip the resource check");
    }

    @Test
    void everyProblemIsReportedNotOnlyTheFirst() {
        WorkflowSpec spec = workflow("w", 1,
                task("a", "test.sorce").build(),
                task("b", "test.scale").with("factor", "x").input("x", "zz.values").build(),
                task("c", "test.sum").device(DeviceSelector.GPU).build());
        List<Problem> problems = validate(spec);
        assertEquals(List.of("tasks.a.type", "tasks.b.with.factor", "tasks.b.inputs.x", "tasks.c", "tasks.c.resources"),
                problems.stream().map(Problem::pathText).toList(), () -> describe(problems));
    }
}
