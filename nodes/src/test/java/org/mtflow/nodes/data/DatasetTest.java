package org.mtflow.nodes.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;
import org.mtflow.nodes.TestSeeds;

class DatasetTest {
    @TempDir Path dir;

    static Tensor random(SplittableRandom rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) t.data()[i] = (float) rnd.nextDouble(-3, 3);
        return t;
    }

    static Tensor labels(SplittableRandom rnd, int n, int classes) {
        Tensor t = Tensor.zeros(n);
        for (int i = 0; i < n; i++) t.data()[i] = rnd.nextInt(classes);
        return t;
    }

    private Path write(Dataset ds, String name) throws Exception {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            ds.write(out);
        }
        return file;
    }

    private Path writeSafetensors(Map<String, Tensor> tensors, Map<String, String> meta) throws Exception {
        Path file = dir.resolve("raw.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            Safetensors.write(out, tensors, meta);
        }
        return file;
    }

    @Test
    void writeThenReadGivesBackTheSameDataset() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int features = 1 + rnd.nextInt(20), nTrain = rnd.nextInt(50), nTest = 1 + rnd.nextInt(20);
        List<String> classes = List.of("cat", "dog", "bird \"quoted\"", "ünïcode");
        Dataset ds = new Dataset("round-trip", classes,
                new Dataset.Split(random(rnd, nTrain, features), labels(rnd, nTrain, classes.size())),
                new Dataset.Split(random(rnd, nTest, features), labels(rnd, nTest, classes.size())));
        String msg = "seed=" + seed;
        Dataset back = Dataset.read(write(ds, "ds.safetensors"));
        assertEquals("round-trip", back.name(), msg);
        assertEquals(classes, back.classes(), msg);
        for (String split : List.of("train", "test")) {
            Dataset.Split a = ds.splits().get(split), b = back.splits().get(split);
            assertArrayEquals(a.x().shape(), b.x().shape(), msg + " " + split);
            assertArrayEquals(a.x().data(), b.x().data(), msg + " " + split);
            assertArrayEquals(a.y().shape(), b.y().shape(), msg + " " + split);
            assertArrayEquals(a.y().data(), b.y().data(), msg + " " + split);
        }
        assertEquals(nTrain, back.train().size(), msg);
        assertEquals(List.of("train", "test"), List.copyOf(back.splits().keySet()));
    }

    @Test
    void writingIsDeterministic() throws Exception {
        SplittableRandom rnd = new SplittableRandom(TestSeeds.next());
        Dataset ds = new Dataset("d", List.of("a", "b"), new Dataset.Split(random(rnd, 5, 3), labels(rnd, 5, 2)),
                new Dataset.Split(random(rnd, 2, 3), labels(rnd, 2, 2)));
        assertEquals(-1, Files.mismatch(write(ds, "one"), write(ds, "two")));
    }

    @Test
    void readRejectsASafetensorsFileThatIsNotADataset() throws Exception {
        Map<String, Tensor> one = new LinkedHashMap<>();
        one.put("tensor", Tensor.zeros(3));
        Path file = writeSafetensors(one, Map.of());
        FormatException e = assertThrows(FormatException.class, () -> Dataset.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("not a dataset artifact"),
                e.getMessage());
    }

    @Test
    void readRejectsADatasetWithoutOneOfItsTensors() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("train.x", Tensor.zeros(2, 3));
        tensors.put("train.y", Tensor.zeros(2));
        tensors.put("test.x", Tensor.zeros(1, 3));
        Path file = writeSafetensors(tensors, Map.of("format", "mtflow.dataset/1", "name", "d", "classes", "[\"a\"]"));
        FormatException e = assertThrows(FormatException.class, () -> Dataset.read(file));
        assertTrue(e.getMessage().contains("'test.y'") && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void readRejectsAnUnreadableClassList() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("train.x", Tensor.zeros(2, 3));
        tensors.put("train.y", Tensor.zeros(2));
        tensors.put("test.x", Tensor.zeros(1, 3));
        tensors.put("test.y", Tensor.zeros(1));
        Path file = writeSafetensors(tensors, Map.of("format", "mtflow.dataset/1", "name", "d", "classes", "[not json"));
        FormatException e = assertThrows(FormatException.class, () -> Dataset.read(file));
        assertTrue(e.getMessage().contains("class list"), e.getMessage());
    }

    @Test
    void splitsAndDatasetsCheckTheirShapes() {
        assertThrows(IllegalArgumentException.class, () -> new Dataset.Split(Tensor.zeros(3, 2), Tensor.zeros(4)));
        assertThrows(IllegalArgumentException.class, () -> new Dataset.Split(Tensor.zeros(6), Tensor.zeros(6)));
        assertThrows(IllegalArgumentException.class, () -> new Dataset.Split(Tensor.zeros(3, 2), Tensor.zeros(3, 1)));
        Dataset.Split train = new Dataset.Split(Tensor.zeros(3, 2), Tensor.zeros(3));
        Dataset.Split test = new Dataset.Split(Tensor.zeros(1, 5), Tensor.zeros(1));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", List.of("a"), train, test));
    }

    @Test
    void aValSplitAndTaskRangesRoundTrip() throws Exception {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int features = 1 + rnd.nextInt(10);
        List<String> classes = List.of("t0/a", "t0/b", "t1/a", "t1/b", "t1/c");
        List<Dataset.Task> tasks = List.of(new Dataset.Task("t0", 0, 2), new Dataset.Task("t1", 2, 3));
        Dataset ds = new Dataset("multi", classes, new Dataset.Split(random(rnd, 7, features), labels(rnd, 7, 5)),
                new Dataset.Split(random(rnd, 3, features), labels(rnd, 3, 5)),
                new Dataset.Split(random(rnd, 4, features), labels(rnd, 4, 5)), tasks);
        Dataset back = Dataset.read(write(ds, "multi.safetensors"));
        String msg = "seed=" + seed;
        assertEquals(List.of("train", "val", "test"), List.copyOf(back.splits().keySet()), msg);
        assertEquals(tasks, back.tasks(), msg);
        for (String split : List.of("train", "val", "test")) {
            assertArrayEquals(ds.splits().get(split).x().data(), back.splits().get(split).x().data(), msg + " " + split);
            assertArrayEquals(ds.splits().get(split).y().data(), back.splits().get(split).y().data(), msg + " " + split);
        }
        assertTrue(back.tasks().get(1).holds(4f) && !back.tasks().get(1).holds(1f));
    }

    @Test
    void tasksMustCoverTheClassesInOrderAndValNeedsBothTensors() throws Exception {
        Dataset.Split s = new Dataset.Split(Tensor.zeros(2, 3), Tensor.zeros(2));
        List<String> four = List.of("a", "b", "c", "d");
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", four, s, null, s, List.of(new Dataset.Task("x", 1, 3))));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", four, s, null, s, List.of(new Dataset.Task("x", 0, 3))));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", four, s, null, s,
                List.of(new Dataset.Task("x", 0, 2), new Dataset.Task("y", 2, 3))));
        assertThrows(IllegalArgumentException.class, () -> new Dataset("d", four, s, new Dataset.Split(Tensor.zeros(1, 2), Tensor.zeros(1)), s, null));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("train.x", Tensor.zeros(2, 3));
        tensors.put("train.y", Tensor.zeros(2));
        tensors.put("val.x", Tensor.zeros(1, 3));
        tensors.put("test.x", Tensor.zeros(1, 3));
        tensors.put("test.y", Tensor.zeros(1));
        Path file = writeSafetensors(tensors, Map.of("format", "mtflow.dataset/1", "name", "d", "classes", "[\"a\"]"));
        FormatException e = assertThrows(FormatException.class, () -> Dataset.read(file));
        assertTrue(e.getMessage().contains("only one of 'val.x' and 'val.y'"), e.getMessage());
    }
}
