package org.mtflow.nodes.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;

/**
 * A seeded stratified subsample of some splits of a dataset: per class, {@code round(size · fraction)}
 * examples, or with {@code n}, {@code round(n · the class's share of the split)} (so the split holds
 * about n). Kept examples stay in their order.
 */
public final class SubsampleNode implements NodeType<SubsampleNode.Params> {

    public record Params(
            @Doc("examples to keep per split (about: per class n · its share, rounded); one of n and fraction") Integer n,
            @Doc("share of each class to keep, in (0, 1]; one of n and fraction") Double fraction,
            @Doc("the splits to subsample, default [train]") List<String> splits,
            @Doc("overrides the run seed") Long seed) {
        public Params {
            if ((n == null) == (fraction == null)) throw new IllegalArgumentException("give one of n and fraction");
            if (n != null && n < 1) throw new IllegalArgumentException("n must be at least 1, got " + n);
            if (fraction != null && !(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
            if (splits == null) splits = List.of("train");
            for (String s : splits) {
                if (!List.of("train", "val", "test").contains(s)) throw new IllegalArgumentException("splits are train, val and test, not '" + s + "'");
            }
        }
    }

    @Override public String name() { return "data.subsample"; }
    @Override public String description() { return "Seeded stratified subsample of a dataset's splits, by n or fraction."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(Port.one("dataset", "a dataset artifact").of(Port.Kind.DATASET)); }
    @Override public List<Port> outputs() { return List.of(Port.one("dataset", "the subsampled dataset").of(Port.Kind.DATASET)); }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        Dataset ds = Dataset.read(ctx.input("dataset"));
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        Map<String, Dataset.Split> out = new LinkedHashMap<>(ds.splits());
        for (String name : p.splits()) {
            Dataset.Split s = out.get(name);
            if (s == null) throw org.mtflow.engine.node.NodeException.permanent("the dataset has no " + name + " split; add one with data.split");
            int total = s.size();
            int[] rows = Stratified.take(s.y().data(),
                    count -> (int) Math.round(p.n() != null ? (double) p.n() * count / total : count * p.fraction()), seed, ctx.stream("subsample/" + name));
            out.put(name, Stratified.rows(s, rows));
        }
        Dataset result = ds.withSplits(out.get("train"), out.get("val"), out.get("test"));
        result.splits().forEach((name, s) -> ctx.metric(name + "-examples", s.size()));
        ctx.output("dataset", result::write);
    }
}
