package org.mtflow.nodes.data;

import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;

/**
 * Seeded stratified train/val/test split of a dataset. {@code from: train} draws val out of the
 * train split (an existing val rejoins train first) and keeps test as it is, so a published test
 * split such as Fashion-MNIST's stays; {@code from: all} pools every split and draws all three anew.
 */
public final class SplitNode implements NodeType<SplitNode.Params> {

    public enum From { TRAIN, ALL }

    public record Params(
            @Doc("share of each class drawn into val, default 0.1") Double valFraction,
            @Doc("share of each class drawn into test with from: all, default 0.2") Double testFraction,
            @Doc("train (val out of train, test kept; default) or all (pool every split, draw train/val/test)") From from,
            @Doc("overrides the run seed") Long seed) {
        public Params {
            if (valFraction == null) valFraction = 0.1;
            if (from == null) from = From.TRAIN;
            if (testFraction != null && from != From.ALL) throw new IllegalArgumentException("test-fraction applies with from: all only; the test split is kept with from: train");
            if (testFraction == null) testFraction = from == From.ALL ? 0.2 : 0.0;
            if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction < 1)) {
                throw new IllegalArgumentException("val-fraction and test-fraction must be >= 0 and sum below 1, got " + valFraction + " and " + testFraction);
            }
        }
    }

    @Override public String name() { return "data.split"; }
    @Override public String description() { return "Seeded stratified train/val/test split of a dataset."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.one("dataset", "a dataset artifact").of(Port.Kind.DATASET)); }
    @Override public List<Port> outputs() { return List.of(Port.one("dataset", "the dataset with train, val and test").of(Port.Kind.DATASET)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        Dataset ds = Dataset.read(ctx.input("dataset"));
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        Dataset out;
        if (p.from() == From.TRAIN) {
            Dataset.Split pool = ds.val() == null ? ds.train() : concat(List.of(ds.train(), ds.val()));
            int[][] parts = Stratified.split(pool.y().data(), new double[] {p.valFraction()}, seed, ctx.stream("split"));
            out = ds.withSplits(Stratified.rows(pool, parts[1]), Stratified.rows(pool, parts[0]), ds.test());
        } else {
            Dataset.Split pool = concat(List.copyOf(ds.splits().values()));
            int[][] parts = Stratified.split(pool.y().data(), new double[] {p.testFraction(), p.valFraction()}, seed, ctx.stream("split"));
            out = ds.withSplits(Stratified.rows(pool, parts[2]), Stratified.rows(pool, parts[1]), Stratified.rows(pool, parts[0]));
        }
        out.splits().forEach((name, s) -> ctx.metric(name + "-examples", s.size()));
        ctx.output("dataset", out::write);
    }

    /** The splits' rows one after the other. */
    static Dataset.Split concat(List<Dataset.Split> splits) {
        int f = splits.get(0).x().dim(1), n = splits.stream().mapToInt(Dataset.Split::size).sum();
        float[] x = new float[n * f], y = new float[n];
        int at = 0;
        for (Dataset.Split s : splits) {
            System.arraycopy(s.x().data(), 0, x, at * f, s.size() * f);
            System.arraycopy(s.y().data(), 0, y, at, s.size());
            at += s.size();
        }
        return new Dataset.Split(Tensor.of(x, n, f), Tensor.of(y, n));
    }
}
