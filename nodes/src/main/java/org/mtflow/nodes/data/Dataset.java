package org.mtflow.nodes.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.FormatException;
import org.mtflow.kernels.format.Safetensors;

/**
 * A labelled classification dataset as one artifact: a safetensors file with {@code train.x}
 * [n, features], {@code train.y} [n] (class index as float), {@code test.x}, {@code test.y}, and
 * the dataset's name and class names in its metadata.
 */
public record Dataset(String name, List<String> classes, Split train, Split test) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Examples as rows of {@code x}, labels in {@code y}. */
    public record Split(Tensor x, Tensor y) {
        public Split {
            if (x.rank() != 2 || y.rank() != 1 || x.dim(0) != y.dim(0)) {
                throw new IllegalArgumentException("a split needs x [n, features] and y [n], got " + x + " and " + y);
            }
        }

        public int size() { return y.dim(0); }
    }

    public Dataset {
        classes = List.copyOf(classes);
        if (train.x().dim(1) != test.x().dim(1)) {
            throw new IllegalArgumentException("train and test have different feature counts");
        }
    }

    public Map<String, Split> splits() {
        Map<String, Split> m = new LinkedHashMap<>();
        m.put("train", train);
        m.put("test", test);
        return m;
    }

    public void write(OutputStream out) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        splits().forEach((k, s) -> {
            tensors.put(k + ".x", s.x());
            tensors.put(k + ".y", s.y());
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "mtflow.dataset/1");
        meta.put("name", name);
        meta.put("classes", JSON.writeValueAsString(classes));
        Safetensors.write(out, tensors, meta);
    }

    public static Dataset read(Path file) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Map<String, String> meta = r.metadata();
            if (!"mtflow.dataset/1".equals(meta.get("format"))) {
                throw new FormatException(file, "not a dataset artifact (metadata format is " + meta.get("format") + ")");
            }
            List<String> classes;
            try {
                classes = JSON.readValue(meta.getOrDefault("classes", "[]"), new TypeReference<List<String>>() {});
            } catch (JsonProcessingException e) {
                throw new FormatException(file, "unreadable class list in metadata");
            }
            for (String t : List.of("train.x", "train.y", "test.x", "test.y")) {
                if (!r.entries().containsKey(t)) throw new FormatException(file, "dataset has no tensor '" + t + "'");
            }
            return new Dataset(meta.get("name"), classes, new Split(r.read("train.x"), r.read("train.y")),
                    new Split(r.read("test.x"), r.read("test.y")));
        }
    }
}
