package org.mtflow.nodes.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.Required;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;

/**
 * A CSV file of numeric features and a label column as a {@link Dataset}, split into train and test
 * by a seeded stratified draw. The file is read line by line (gzip when it ends in .gz); only the
 * parsed numbers are kept.
 *
 * <p>Classes: with {@code header: counts} (scikit-learn's bundled CSVs: a first line
 * {@code n_samples,n_features,class names...}, labels are class indices) the names come from that
 * line; otherwise they are the distinct label values, in numeric order when all are integers, else
 * in text order, and a label's class index is its position there.
 */
public final class CsvNode implements NodeType<CsvNode.Params> {

    public enum Header { NAMES, COUNTS, NONE }

    public record Params(
            @Required @Doc("the CSV file (.csv or .csv.gz)") String path,
            @Doc("the label column's name (with header: none, its 0-based position), default the last column") String label,
            @Doc("share of each class drawn into the test split, in [0, 1), default 0.2") Double testFraction,
            @Doc("first line: names (column names, default), counts (scikit-learn's 'n_samples,n_features,class names'), none") Header header,
            @Doc("the dataset's name, default the file name without extensions") String name,
            @Doc("overrides the run seed for the split") Long seed) {
        public Params {
            if (testFraction == null) testFraction = 0.2;
            if (!(testFraction >= 0 && testFraction < 1)) {
                throw new IllegalArgumentException("test-fraction must be in [0, 1), got " + testFraction);
            }
            if (header == null) header = Header.NAMES;
        }
    }

    @Override public String name() { return "data.csv"; }
    @Override public String description() { return "Reads a CSV of numeric features and a label column as a dataset, stratified train/test split."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }
    @Override public List<Port> outputs() { return List.of(Port.one("dataset", "train and test splits").of(Port.Kind.DATASET)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        Path file = Path.of(p.path());
        Table t = read(file, p.header(), p.label());
        ctx.progress(0.8, "read " + t.rows() + " rows");
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        int[][] parts = Stratified.split(t.all().y().data(), new double[] {p.testFraction()}, seed, ctx.stream("split"));
        Dataset.Split test = Stratified.rows(t.all(), parts[0]), train = Stratified.rows(t.all(), parts[1]);
        String name = p.name() != null ? p.name() : file.getFileName().toString().replaceFirst("\\..*$", "");
        Dataset ds = new Dataset(name, t.classes(), train, test);
        ctx.metric("train-examples", train.size());
        ctx.metric("test-examples", test.size());
        ctx.metric("features", t.all().x().dim(1));
        ctx.metric("classes", t.classes().size());
        ctx.output("dataset", ds::write);
    }

    /** All rows of a CSV as one split, with the class names. */
    public record Table(Dataset.Split all, List<String> classes) {
        public int rows() { return all.size(); }
    }

    /** Reads the whole file; every problem is a permanent error naming the file, line and column. */
    public static Table read(Path file, Header header, String label) throws IOException, NodeException {
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw NodeException.permanent("CSV file " + file + " not found; set 'path' to an existing file");
        }
        try (InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
            return new Reader(file, r, header, label).read();
        }
    }

    /** The line-by-line parse. */
    private static final class Reader {
        final Path file;
        final BufferedReader in;
        final Header header;
        final String labelParam;
        int line;
        List<String> names;
        int labelColumn;
        List<String> countClasses;
        long declaredRows = -1;
        float[] x = new float[1024];
        int[] labelIds = new int[256];
        int rows;
        final Map<String, Integer> labelIdsByText = new HashMap<>();
        final List<String> labelTexts = new ArrayList<>();

        Reader(Path file, BufferedReader in, Header header, String labelParam) {
            this.file = file;
            this.in = in;
            this.header = header;
            this.labelParam = labelParam;
        }

        NodeException error(String what) {
            return NodeException.permanent(file + ":" + line + ": " + what);
        }

        NodeException cellError(int column, String what) {
            return NodeException.permanent(file + ":" + line + ": column " + (column + 1) + " ('" + names.get(column) + "'): " + what);
        }

        Table read() throws IOException, NodeException {
            List<String> first = nextRow();
            if (first == null) throw NodeException.permanent(file + ": empty file, expected a " + describeHeader());
            switch (header) {
                case NAMES -> names = first;
                case COUNTS -> readCounts(first);
                case NONE -> names = positions(first.size());
            }
            labelColumn = labelColumn();
            int features = names.size() - 1;
            if (header == Header.NONE) addRow(first, features);
            for (List<String> row; (row = nextRow()) != null; ) addRow(row, features);
            if (rows == 0) throw NodeException.permanent(file + ": no data rows after the header");
            if (declaredRows >= 0 && declaredRows != rows) {
                throw NodeException.permanent(file + ":1: the header says " + declaredRows + " rows, the file has " + rows);
            }
            return finish(features);
        }

        String describeHeader() {
            return switch (header) {
                case NAMES -> "header row of column names";
                case COUNTS -> "first line 'n_samples,n_features,class names...'";
                case NONE -> "data row";
            };
        }

        void readCounts(List<String> first) throws NodeException {
            if (first.size() < 2) throw error("expected 'n_samples,n_features,class names...', got '" + String.join(",", first) + "'");
            long features;
            try {
                declaredRows = Long.parseLong(first.get(0));
                features = Long.parseLong(first.get(1));
            } catch (NumberFormatException e) {
                throw error("expected 'n_samples,n_features,class names...' (header: counts), got '" + String.join(",", first)
                        + "'; use header: names for a row of column names");
            }
            if (declaredRows < 0 || features < 1 || features > 1 << 20) throw error("implausible counts '" + first.get(0) + "," + first.get(1) + "'");
            countClasses = first.subList(2, first.size());
            names = positions((int) features + 1);
        }

        static List<String> positions(int n) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(Integer.toString(i));
            return out;
        }

        int labelColumn() throws NodeException {
            if (names.size() < 2) throw error("one column only: a dataset needs at least one feature and a label");
            if (labelParam == null) return names.size() - 1;
            int at = names.indexOf(labelParam);
            if (at < 0) {
                throw NodeException.permanent(file + ":1: no label column '" + labelParam + "'; the columns are "
                        + String.join(", ", names) + (header == Header.NAMES ? "" : " (positions, as the file has no names)"));
            }
            return at;
        }

        void addRow(List<String> row, int features) throws NodeException {
            if (row.size() != names.size()) {
                throw error(row.size() + " cells where the " + (header == Header.NAMES ? "header has " : "first row has ") + names.size()
                        + (row.size() > names.size() ? "; column " + (names.size() + 1) + " is extra" : "; column " + (row.size() + 1) + " is missing"));
            }
            if (rows == Integer.MAX_VALUE / Math.max(features, 1) - 8) throw error("more rows than a dataset holds (2^31 floats)");
            if ((long) (rows + 1) * features > x.length) x = Arrays.copyOf(x, (int) Math.min(Math.max(2L * x.length, (long) (rows + 1) * features), Integer.MAX_VALUE - 8));
            if (rows == labelIds.length) labelIds = Arrays.copyOf(labelIds, 2 * rows);
            int f = 0;
            for (int c = 0; c < row.size(); c++) {
                String cell = row.get(c);
                if (c == labelColumn) {
                    labelIds[rows] = labelId(c, cell);
                    continue;
                }
                x[rows * features + f++] = number(c, cell);
            }
            rows++;
        }

        float number(int column, String cell) throws NodeException {
            if (cell.isEmpty()) throw cellError(column, "empty cell, expected a number");
            float v;
            try {
                v = Float.parseFloat(cell);
            } catch (NumberFormatException e) {
                throw cellError(column, "'" + cell + "' is not a number");
            }
            if (!Float.isFinite(v)) throw cellError(column, "'" + cell + "' is not a finite number");
            return v;
        }

        int labelId(int column, String cell) throws NodeException {
            if (cell.isEmpty()) throw cellError(column, "empty label");
            String key = cell;
            Double numeric = integerValue(cell);
            if (numeric != null) key = Long.toString(numeric.longValue());
            if (countClasses != null) {
                if (numeric == null || numeric < 0 || numeric >= countClasses.size()) {
                    throw cellError(column, "label '" + cell + "' is not a class index in [0, " + countClasses.size() + ")");
                }
            }
            Integer id = labelIdsByText.get(key);
            if (id == null) {
                id = labelTexts.size();
                labelIdsByText.put(key, id);
                labelTexts.add(key);
            }
            return id;
        }

        static Double integerValue(String cell) {
            try {
                double d = Double.parseDouble(cell);
                return d == Math.rint(d) && Math.abs(d) < 1e15 ? d : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }

        Table finish(int features) {
            List<String> classes;
            int[] classOf = new int[labelTexts.size()];
            if (countClasses != null) {
                classes = countClasses;
                for (int i = 0; i < classOf.length; i++) classOf[i] = Integer.parseInt(labelTexts.get(i));
            } else {
                boolean allIntegers = labelTexts.stream().allMatch(s -> integerValue(s) != null);
                List<String> sorted = new ArrayList<>(labelTexts);
                if (allIntegers) sorted.sort((a, b) -> Long.compare(Long.parseLong(a), Long.parseLong(b)));
                else sorted.sort(null);
                classes = sorted;
                for (int i = 0; i < classOf.length; i++) classOf[i] = sorted.indexOf(labelTexts.get(i));
            }
            float[] y = new float[rows];
            for (int i = 0; i < rows; i++) y[i] = classOf[labelIds[i]];
            Tensor xs = Tensor.of(Arrays.copyOf(x, rows * features), rows, features);
            return new Table(new Dataset.Split(xs, Tensor.of(y, rows)), classes);
        }

        /** The next non-blank line's cells (RFC 4180 quotes within a line, cells trimmed), or null at the end. */
        List<String> nextRow() throws IOException, NodeException {
            String text;
            do {
                text = in.readLine();
                line++;
                if (text == null) return null;
                if (line == 1 && text.startsWith("\uFEFF")) text = text.substring(1);
            } while (text.isBlank());
            List<String> cells = new ArrayList<>();
            StringBuilder cell = new StringBuilder();
            boolean quoted = false, wasQuoted = false;
            for (int i = 0; i < text.length(); i++) {
                char ch = text.charAt(i);
                if (quoted) {
                    if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') { cell.append('"'); i++; }
                    else if (ch == '"') quoted = false;
                    else cell.append(ch);
                } else if (ch == '"' && cell.toString().isBlank()) {
                    quoted = true;
                    wasQuoted = true;
                    cell.setLength(0);
                } else if (ch == ',') {
                    cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
                    cell.setLength(0);
                    wasQuoted = false;
                } else {
                    cell.append(ch);
                }
            }
            if (quoted) throw NodeException.permanent(file + ":" + line + ": column " + (cells.size() + 1) + ": unterminated quote (quoted cells cannot span lines)");
            cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
            return cells;
        }
    }
}
