package org.mtflow.nodes.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeException;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.format.Idx;

/**
 * Fashion-MNIST (Zalando; 70,000 28×28 grey images of 10 clothing classes) from its IDX files, as
 * a {@link Dataset}: pixels scaled to [0, 1], one row of 784 per image.
 */
public final class FashionMnistNode implements NodeType<FashionMnistNode.Params> {
    public static final String DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    public record Params(
            @Doc("the directory of the IDX files, default " + DEFAULT_DIR) String dir,
            @Doc("keep only the first N examples of each split (for quick runs), default all") Integer limit) {
        public Params {
            if (dir == null) dir = DEFAULT_DIR;
            if (limit != null && limit < 1) throw new IllegalArgumentException("limit must be at least 1");
        }
    }

    @Override public String name() { return "data.fashion-mnist"; }
    @Override public String description() { return "Loads Fashion-MNIST from its IDX files as a dataset artifact."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }
    @Override public List<Port> outputs() { return List.of(Port.one("dataset", "train and test splits, 784 features, 10 classes").of(Port.Kind.DATASET)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Path dir = Path.of(ctx.params().dir());
        Dataset.Split train = split(dir, "train", ctx.params().limit());
        ctx.progress(0.5, "read train split");
        Dataset.Split test = split(dir, "t10k", ctx.params().limit());
        Dataset dataset = new Dataset("fashion-mnist", CLASSES, train, test);
        ctx.metric("train-examples", train.size());
        ctx.metric("test-examples", test.size());
        ctx.output("dataset", dataset::write);
    }

    private static Dataset.Split split(Path dir, String prefix, Integer limit) throws Exception {
        Tensor images = Idx.read(find(dir, prefix + "-images-idx3-ubyte"));
        Tensor labels = Idx.read(find(dir, prefix + "-labels-idx1-ubyte"));
        if (images.rank() != 3 || labels.rank() != 1 || images.dim(0) != labels.dim(0)) {
            throw NodeException.permanent(dir + ": " + prefix + " images " + images + " do not match labels " + labels);
        }
        int n = limit == null ? images.dim(0) : Math.min(limit, images.dim(0));
        int features = images.dim(1) * images.dim(2);
        float[] x = new float[n * features];
        float[] src = images.data();
        for (int i = 0; i < x.length; i++) x[i] = src[i] / 255f;
        float[] y = java.util.Arrays.copyOf(labels.data(), n);
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= CLASSES.size()) {
                throw NodeException.permanent(dir + ": " + prefix + " label " + i + " is " + y[i] + ", not a class index");
            }
        }
        return new Dataset.Split(Tensor.of(x, n, features), Tensor.of(y, n));
    }

    private static Path find(Path dir, String base) throws NodeException {
        for (String name : List.of(base + ".gz", base)) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw NodeException.permanent("Fashion-MNIST file " + dir.resolve(base + ".gz") + " not found; install it with "
                + "'apt-get install dataset-fashion-mnist' or set 'dir' to where the IDX files are");
    }
}
