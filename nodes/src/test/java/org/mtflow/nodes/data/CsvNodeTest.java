package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.nodes.NodeRuns;
import org.mtflow.nodes.TestSeeds;
import org.mtflow.nodes.Workflows;

/** data.csv on generated files: every value, the stratified counts, the class order and each kind of malformed file. */
class CsvNodeTest {
    @RegisterExtension static final NodeRuns runs = new NodeRuns();

    @TempDir Path dir;

    /**
     * A random table: column "id" (the row index, to find rows again after the split), random float
     * features, and a label column at a random position holding class names.
     */
    record Generated(long seed, List<String> header, int labelColumn, List<float[]> features, List<String> labels) {
        /** The label column at a random position, or last (where data.csv looks by default). */
        static Generated make(long seed, List<String> classNames, boolean labelLast) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int nFeatures = 1 + rnd.nextInt(6), rows = 30 + rnd.nextInt(200);
            int labelColumn = labelLast ? nFeatures + 1 : rnd.nextInt(nFeatures + 2);
            List<String> header = new ArrayList<>();
            for (int f = 0; f < nFeatures; f++) header.add("f" + f);
            header.add(0, "id");
            header.add(labelColumn, "label");
            List<float[]> features = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                float[] row = new float[nFeatures + 1];
                row[0] = i;
                for (int f = 1; f <= nFeatures; f++) row[f] = (float) rnd.nextDouble(-1e3, 1e3);
                features.add(row);
                labels.add(classNames.get(rnd.nextInt(classNames.size())));
            }
            return new Generated(seed, header, labelColumn, features, labels);
        }

        List<String> lines() {
            List<String> lines = new ArrayList<>();
            lines.add(String.join(",", header));
            for (int i = 0; i < features.size(); i++) {
                List<String> cells = new ArrayList<>();
                for (float v : features.get(i)) cells.add(Float.toString(v));
                cells.add(labelColumn, labels.get(i));
                lines.add(String.join(",", cells));
            }
            return lines;
        }
    }

    private Path write(String name, List<String> lines) throws Exception {
        Path file = dir.resolve(name);
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = name.endsWith(".gz") ? new GZIPOutputStream(raw) : raw;
             PrintWriter w = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8))) {
            for (String l : lines) w.print(l + "\n");
        }
        return file;
    }

    private NodeRuns.Run load(Path file, long seed, Object... with) throws Exception {
        Workflows.Task t = Workflows.named("csv", seed).task("c", "data.csv").with("path", file.toString());
        for (int i = 0; i < with.length; i += 2) t.with((String) with[i], with[i + 1]);
        return runs.run(t.build());
    }

    /**
     * Checks both splits against the generated rows: every row lands in exactly one split, in file
     * order, with every value and its class; per class the test split holds round(n · fraction).
     */
    static void assertSplits(Dataset ds, Generated g, List<String> classes, double fraction, String msg) {
        assertEquals(classes, ds.classes(), msg);
        boolean[] seen = new boolean[g.features().size()];
        int[] testCount = new int[classes.size()];
        for (String name : List.of("train", "test")) {
            Dataset.Split s = ds.splits().get(name);
            int width = g.features().get(0).length;
            assertEquals(width, s.x().dim(1), msg);
            int previous = -1;
            for (int r = 0; r < s.size(); r++) {
                int id = (int) s.x().data()[r * width];
                assertTrue(id > previous && !seen[id], msg + " " + name + " row " + r + ": id " + id + " out of order or twice");
                previous = id;
                seen[id] = true;
                for (int f = 0; f < width; f++) {
                    assertEquals(g.features().get(id)[f], s.x().data()[r * width + f], 0f, msg + " " + name + " row " + r + " feature " + f);
                }
                int c = classes.indexOf(g.labels().get(id));
                assertEquals(c, s.y().data()[r], 0f, msg + " " + name + " row " + r + " label");
                if (name.equals("test")) testCount[c]++;
            }
        }
        for (int i = 0; i < seen.length; i++) assertTrue(seen[i], msg + ": row " + i + " is in neither split");
        for (int c = 0; c < classes.size(); c++) {
            long n = g.labels().stream().filter(classes.get(c)::equals).count();
            assertEquals(Math.round(n * fraction), testCount[c], msg + ": test count of class " + classes.get(c) + " of " + n);
        }
    }

    @Test
    void readsEveryValueAndSplitsEachClassByTheTestFraction() throws Exception {
        long seed = TestSeeds.next();
        Generated g = Generated.make(seed, List.of("zebra", "ant", "moth", "cat"), false);
        double fraction = new SplittableRandom(seed).nextDouble(0.05, 0.6);
        NodeRuns.Run run = load(write("animals.csv", g.lines()), seed, "test-fraction", fraction, "label", "label");
        String msg = "seed=" + seed + " fraction=" + fraction;
        assertTrue(run.outcome().ok(), () -> msg + ": " + run.report());
        Dataset ds = Dataset.read(run.artifact("c", "dataset"));
        assertEquals("animals", ds.name(), msg);
        assertSplits(ds, g, List.of("ant", "cat", "moth", "zebra"), fraction, msg);
        assertEquals(ds.test().size(), run.metrics("c").path("test-examples").asInt(), msg);
        assertEquals(g.features().get(0).length, run.metrics("c").path("features").asInt(), msg);
    }

    @Test
    void theDefaultFractionIsAFifthAndIntegerLabelsSortNumerically() throws Exception {
        long seed = TestSeeds.next();
        Generated g = Generated.make(seed, List.of("10", "2", "1.0", "-3"), true);
        NodeRuns.Run run = load(write("numbers.csv", g.lines()), seed);
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        // "1.0" is the integer 1, named "1".
        List<String> labels = g.labels().stream().map(l -> l.equals("1.0") ? "1" : l).toList();
        Generated named = new Generated(seed, g.header(), g.labelColumn(), g.features(), labels);
        assertSplits(Dataset.read(run.artifact("c", "dataset")), named, List.of("-3", "1", "2", "10"), 0.2, "seed=" + seed);
    }

    @Test
    void theSameSeedGivesTheSameArtifactAndAnotherSeedAnotherSplit() throws Exception {
        long seed = TestSeeds.next();
        Generated g = Generated.make(seed, List.of("a", "b"), true);
        Path file = write("ab.csv", g.lines());
        NodeRuns.Run one = runs.run(Workflows.named("csv-twice", seed)
                .task("c1", "data.csv").with("path", file.toString())
                .task("c2", "data.csv").with("path", file.toString()).with("seed", seed + 1).build());
        NodeRuns.Run again = runs.run(Workflows.named("csv-again", seed)
                .task("c1", "data.csv").with("path", file.toString()).build(), false);
        assertTrue(one.outcome().ok() && again.outcome().ok(), () -> "seed=" + seed + ": " + one.report());
        assertEquals(one.hash("c1", "dataset"), again.hash("c1", "dataset"), "seed=" + seed);
        // Two seeds choosing the same test rows out of 30+ rows: below 1e-6 for these sizes.
        assertNotEquals(one.hash("c1", "dataset"), one.hash("c2", "dataset"), "seed=" + seed);
        assertSplits(Dataset.read(one.artifact("c2", "dataset")), g, List.of("a", "b"), 0.2, "seed=" + seed + " override");
    }

    @Test
    void aLabelColumnCanBeNamedAndAHeaderlessFileNamesColumnsByPosition() throws Exception {
        long seed = TestSeeds.next();
        Generated g = Generated.make(seed, List.of("x", "y", "z"), false);
        List<String> lines = g.lines();
        NodeRuns.Run named = load(write("named.csv", lines), seed, "label", "label");
        assertTrue(named.outcome().ok(), () -> "seed=" + seed + ": " + named.report());
        assertSplits(Dataset.read(named.artifact("c", "dataset")), g, List.of("x", "y", "z"), 0.2, "seed=" + seed + " named");

        NodeRuns.Run headerless = load(write("bare.csv.gz", lines.subList(1, lines.size())), seed,
                "header", "none", "label", Integer.toString(g.labelColumn()));
        assertTrue(headerless.outcome().ok(), () -> "seed=" + seed + ": " + headerless.report());
        Dataset ds = Dataset.read(headerless.artifact("c", "dataset"));
        assertEquals("bare", ds.name());
        assertSplits(ds, g, List.of("x", "y", "z"), 0.2, "seed=" + seed + " headerless gz");
    }

    @Test
    void scikitLearnsCountsLineNamesTheClasses() throws Exception {
        long seed = TestSeeds.next();
        Generated g = Generated.make(seed, List.of("0", "1", "2"), true);
        // The label last, as scikit-learn writes it, after a line of counts and class names.
        int width = g.features().get(0).length;
        List<String> lines = new ArrayList<>();
        lines.add(g.features().size() + "," + width + ",setosa,versicolor,virginica");
        for (int i = 0; i < g.features().size(); i++) {
            StringBuilder b = new StringBuilder();
            for (float v : g.features().get(i)) b.append(v).append(',');
            lines.add(b.append(g.labels().get(i)).toString());
        }
        NodeRuns.Run run = load(write("iris-like.csv", lines), seed, "header", "counts");
        assertTrue(run.outcome().ok(), () -> "seed=" + seed + ": " + run.report());
        Dataset ds = Dataset.read(run.artifact("c", "dataset"));
        List<String> names = g.labels().stream().map(l -> List.of("setosa", "versicolor", "virginica").get(Integer.parseInt(l))).toList();
        assertSplits(ds, new Generated(seed, g.header(), width, g.features(), names), List.of("setosa", "versicolor", "virginica"), 0.2, "seed=" + seed);

        // A row count that disagrees with the counts line is an error at line 1.
        NodeRuns.Run wrong = load(write("short.csv", lines.subList(0, lines.size() - 1)), seed, "header", "counts");
        assertError(wrong, dir.resolve("short.csv") + ":1: the header says " + g.features().size() + " rows, the file has "
                + (g.features().size() - 1));
    }

    private static void assertError(NodeRuns.Run run, String expected) {
        assertEquals("failed", run.status("c"), run.report().toString());
        assertEquals(1, run.attempts("c"), "a malformed file is a permanent error, not retried");
        String error = run.task("c").path("error").asText();
        assertTrue(error.startsWith("permanent") && error.contains(expected), "expected '" + expected + "' in: " + error);
    }

    @Test
    void malformedFilesNameTheFileLineAndColumn() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        Generated g = Generated.make(seed, List.of("a", "b"), true);
        List<String> lines = new ArrayList<>(g.lines());
        int bad = 1 + rnd.nextInt(lines.size() - 1);
        int featureCell = 1 + rnd.nextInt(g.header().size() - 2);  // a feature column: "id" is first, the label last
        String[] cells = lines.get(bad).split(",");
        cells[featureCell] = "abc";
        List<String> nonNumeric = new ArrayList<>(lines);
        nonNumeric.set(bad, String.join(",", cells));
        Path f1 = write("nonnumeric.csv", nonNumeric);
        assertError(load(f1, seed), f1 + ":" + (bad + 1) + ": column " + (featureCell + 1) + " ('" + g.header().get(featureCell)
                + "'): 'abc' is not a number");

        cells[featureCell] = "";
        nonNumeric.set(bad, String.join(",", cells));
        Path f2 = write("empty-cell.csv", nonNumeric);
        assertError(load(f2, seed), f2 + ":" + (bad + 1) + ": column " + (featureCell + 1) + " ('" + g.header().get(featureCell)
                + "'): empty cell");

        List<String> ragged = new ArrayList<>(lines);
        ragged.set(bad, lines.get(bad) + ",7");
        Path f3 = write("ragged.csv", ragged);
        int width = g.header().size();
        assertError(load(f3, seed), f3 + ":" + (bad + 1) + ": " + (width + 1) + " cells where the header has " + width
                + "; column " + (width + 1) + " is extra");
        ragged.set(bad, lines.get(bad).substring(0, lines.get(bad).lastIndexOf(',')));
        Path f4 = write("short-row.csv", ragged);
        assertError(load(f4, seed), f4 + ":" + (bad + 1) + ": " + (width - 1) + " cells where the header has " + width
                + "; column " + width + " is missing");

        Path f5 = write("nolabel.csv", lines);
        assertError(load(f5, seed, "label", "species"), f5 + ":1: no label column 'species'; the columns are " + String.join(", ", g.header()));

        Path f6 = write("empty.csv", List.of());
        assertError(load(f6, seed), f6 + ": empty file");
        Path f7 = write("header-only.csv", lines.subList(0, 1));
        assertError(load(f7, seed), f7 + ": no data rows after the header");
        Path f8 = write("iris.csv", lines);
        assertError(load(f8, seed, "header", "counts"), f8 + ":1: expected 'n_samples,n_features,class names...'");
        Path missing = dir.resolve("missing.csv");
        assertError(load(missing, seed), "CSV file " + missing + " not found");
    }

    /**
     * scikit-learn's bundled CSVs (Debian python3-sklearn; scripts/test.sh extracts them and sets
     * MTFLOW_SKLEARN_DATA): each class keeps its count.
     */
    @Test
    void scikitLearnsBundledDatasetsWhenInstalled() throws Exception {
        String dir = System.getenv("MTFLOW_SKLEARN_DATA");
        Path base = Path.of(dir != null ? dir : "/usr/lib/python3/dist-packages/sklearn/datasets/data");
        record Known(String file, int rows, int features, int classes, String header) {}
        List<Known> known = List.of(new Known("iris.csv", 150, 4, 3, "counts"), new Known("wine_data.csv", 178, 13, 3, "counts"),
                new Known("breast_cancer.csv", 569, 30, 2, "counts"), new Known("digits.csv.gz", 1797, 64, 10, "none"));
        int found = 0;
        for (Known k : known) {
            Path file = base.resolve(k.file());
            if (!Files.isRegularFile(file)) continue;
            found++;
            NodeRuns.Run run = load(file, 1, "header", k.header());
            assertTrue(run.outcome().ok(), () -> k + ": " + run.report());
            Dataset ds = Dataset.read(run.artifact("c", "dataset"));
            assertEquals(k.rows(), ds.train().size() + ds.test().size(), k.toString());
            assertEquals(k.features(), ds.train().x().dim(1), k.toString());
            assertEquals(k.classes(), ds.classes().size(), k.toString());
            TreeMap<Integer, Integer> all = new TreeMap<>(), test = new TreeMap<>();
            for (float y : ds.train().y().data()) all.merge((int) y, 1, Integer::sum);
            for (float y : ds.test().y().data()) { all.merge((int) y, 1, Integer::sum); test.merge((int) y, 1, Integer::sum); }
            for (var e : all.entrySet()) assertEquals(Math.round(e.getValue() * 0.2), (long) test.getOrDefault(e.getKey(), 0), k + " class " + e.getKey());
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(found > 0, "python3-sklearn's CSVs are not installed under " + base);
    }
}
