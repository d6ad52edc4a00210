package org.mtflow.nodes.data;

import java.util.ArrayList;
import java.util.List;
import org.mtflow.engine.node.Doc;
import org.mtflow.engine.node.NodeType;
import org.mtflow.engine.node.Port;
import org.mtflow.engine.node.TaskContext;
import org.mtflow.kernels.Tensor;
import org.mtflow.kernels.random.Philox;
import org.mtflow.nodes.TensorArtifacts;

/**
 * A seeded synthetic multi-task classification dataset. Task t has a weight matrix
 * {@code W_t = √r·S + √(1−r)·P_t} [features, classes] from a shared S and a private P_t (standard
 * normal entries), r the relatedness: 1 gives every task the same weights, 0 independent ones, and
 * in between the expected correlation of two tasks' weights is r. An example of task t has standard
 * normal features x and the class {@code argmax(x·W_t + noise·ε)} (ε standard normal per class,
 * ties to the lower class, computed in double).
 *
 * <p>Tasks are label ranges ({@link Dataset.Task}): task t's classes are {@code t·k .. t·k + k − 1},
 * named {@code task<t>/<c>}. Every draw is Philox keyed by the seed and a purpose of this task, so the
 * same spec and seed give the same artifact on every device.
 */
public final class SyntheticNode implements NodeType<SyntheticNode.Params> {

    public record Params(
            @Doc("number of tasks, default 2") Integer tasks,
            @Doc("features per example, default 10") Integer features,
            @Doc("classes per task, default 2") Integer classes,
            @Doc("examples per task (train and test together), default 1000") Integer examples,
            @Doc("how much the tasks share their weights, in [0, 1]: 1 the same decision rule, 0 independent ones; default 0.5") Double relatedness,
            @Doc("standard deviation of the normal noise added to each class score, default 0.1") Double noise,
            @Doc("share of each class drawn into the test split, in [0, 1), default 0.2") Double testFraction,
            @Doc("overrides the run seed") Long seed) {
        public Params {
            if (tasks == null) tasks = 2;
            if (features == null) features = 10;
            if (classes == null) classes = 2;
            if (examples == null) examples = 1000;
            if (relatedness == null) relatedness = 0.5;
            if (noise == null) noise = 0.1;
            if (testFraction == null) testFraction = 0.2;
            if (tasks < 1 || features < 1 || classes < 2 || examples < 1) {
                throw new IllegalArgumentException("tasks, features and examples must be at least 1 and classes at least 2, got "
                        + tasks + ", " + features + ", " + examples + " and " + classes);
            }
            if ((long) tasks * examples * features > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tasks · examples · features is over 2^31 floats");
            }
            if (!(relatedness >= 0 && relatedness <= 1)) throw new IllegalArgumentException("relatedness must be in [0, 1], got " + relatedness);
            if (!(noise >= 0)) throw new IllegalArgumentException("noise must be >= 0, got " + noise);
            if (!(testFraction >= 0 && testFraction < 1)) throw new IllegalArgumentException("test-fraction must be in [0, 1), got " + testFraction);
        }
    }

    @Override public String name() { return "data.synthetic"; }
    @Override public String description() { return "A seeded synthetic multi-task dataset whose tasks share their decision rules by 'relatedness'."; }
    @Override public Class<Params> paramsType() { return Params.class; }
    @Override public List<Port> inputs() { return List.of(); }

    @Override
    public List<Port> outputs() {
        return List.of(Port.one("dataset", "train and test splits; task t's classes are t·k .. t·k + k − 1").of(Port.Kind.DATASET),
                Port.one("weights", "the true weights [tasks, features, classes]").of(Port.Kind.TENSOR));
    }

    @Override
    public void run(TaskContext<Params> ctx) throws Exception {
        Params p = ctx.params();
        long seed = p.seed() != null ? p.seed() : ctx.seed();
        int tasks = p.tasks(), f = p.features(), k = p.classes(), n = p.examples();
        Tensor weights = weights(p, seed, ctx);
        float[] x = new float[tasks * n * f], y = new float[tasks * n], eps = new float[n * k];
        for (int t = 0; t < tasks; t++) {
            ctx.checkCancelled();
            Philox.fillNormal(x, t * n * f, (t + 1) * n * f, seed, ctx.stream("x/" + t), 0f, 1f);
            Philox.fillNormal(eps, 0, n * k, seed, ctx.stream("noise/" + t), 0f, 1f);
            for (int i = 0; i < n; i++) {
                int row = t * n + i;
                y[row] = t * k + decide(x, row * f, weights.data(), t * f * k, f, k, eps, i * k, p.noise());
            }
        }
        List<String> classes = new ArrayList<>();
        List<Dataset.Task> taskRanges = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            taskRanges.add(new Dataset.Task("task" + t, t * k, k));
            for (int c = 0; c < k; c++) classes.add("task" + t + "/" + c);
        }
        Dataset.Split all = new Dataset.Split(Tensor.of(x, tasks * n, f), Tensor.of(y, tasks * n));
        int[][] parts = Stratified.split(y, new double[] {p.testFraction()}, seed, ctx.stream("split"));
        Dataset ds = new Dataset("synthetic", classes, Stratified.rows(all, parts[1]), null, Stratified.rows(all, parts[0]), taskRanges);
        ctx.metric("train-examples", ds.train().size());
        ctx.metric("test-examples", ds.test().size());
        ctx.output("dataset", ds::write);
        TensorArtifacts.write(ctx, "weights", weights);
    }

    /** W_t = √r·S + √(1−r)·P_t, [tasks, features, classes], rounded once to float from double. */
    static Tensor weights(Params p, long seed, TaskContext<?> ctx) {
        int fk = p.features() * p.classes();
        float[] shared = new float[fk], own = new float[fk], w = new float[p.tasks() * fk];
        Philox.fillNormal(shared, 0, fk, seed, ctx.stream("weights/shared"), 0f, 1f);
        double a = Math.sqrt(p.relatedness()), b = Math.sqrt(1 - p.relatedness());
        for (int t = 0; t < p.tasks(); t++) {
            Philox.fillNormal(own, 0, fk, seed, ctx.stream("weights/" + t), 0f, 1f);
            for (int i = 0; i < fk; i++) w[t * fk + i] = (float) (a * shared[i] + b * own[i]);
        }
        return Tensor.of(w, p.tasks(), p.features(), p.classes());
    }

    /** argmax over classes of x·W + noise·ε, in double; ties to the lower class. */
    static int decide(float[] x, int xAt, float[] w, int wAt, int f, int k, float[] eps, int epsAt, double noise) {
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double s = noise * eps[epsAt + c];
            for (int j = 0; j < f; j++) s += (double) x[xAt + j] * w[wAt + j * k + c];
            if (s > bestScore) { bestScore = s; best = c; }
        }
        return best;
    }
}
