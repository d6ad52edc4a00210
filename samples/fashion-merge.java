// samples/fashion-merge.yaml (the flagship study) as a Java script, task for task: the same ids, params
// and seed, so the two share every cached result.
//   ./mtflow run samples/fashion-merge.java
//   ./mtflow run samples/fashion-merge.java --param epochs=1 --param fraction=0.1   # seconds
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.dsl.*;

class FashionMerge {
    public static Workflow workflow(Params params) {
        int epochs = params.integer("epochs", 5);                 // fine-tuning epochs per task
        double fraction = params.number("fraction", 1.0);         // share of each class of the train split the fine-tunes see
        int baseEpochs = params.integer("base-epochs", 1);        // the base's epochs over every task
        double baseFraction = params.number("base-fraction", 0.1); // share of each class of the fine-tunes' data the base sees
        Workflow w = Workflow.named("fashion-merge").seed(42).params(params);

        Task fashion = jvm(w.task("fashion", "data.fashion-mnist"));
        Task trainPart = jvm(w.task("train-part", "data.subsample")
                .inputs("dataset", fashion.out("dataset"))
                .with("fraction", fraction));
        Task tasks = jvm(w.task("tasks", "data.tasks")
                .inputs("dataset", trainPart.out("dataset"))
                .with("groups", List.of(List.of(0, 6), List.of(2, 4), List.of(5, 7), List.of(1, 3), List.of(8, 9)))
                .with("names", List.of("tshirt-shirt", "pullover-coat", "sandal-sneaker", "trouser-dress", "bag-boot")));
        Task basePart = jvm(w.task("base-part", "data.subsample")
                .inputs("dataset", tasks.out("dataset"))
                .with("fraction", baseFraction));
        Task base = jvm(w.task("base", "train.multitask")
                .inputs("datasets", basePart.out("dataset"))
                .with("hidden", List.of(256, 128)).with("optimizer", "adamw").with("lr", 0.001).with("batch", 64)
                .with("epochs", baseEpochs).with("schedule", "cosine"));

        List<Integer> five = List.of(0, 1, 2, 3, 4);
        TaskGroup task = w.forEach("task", "data.task", five, (item, i, t) -> jvm(t
                .inputs("dataset", tasks.out("dataset"))
                .with("index", item)));
        TaskGroup finetune = w.forEach("finetune", "train.finetune", five, (item, i, t) -> jvm(t
                .inputs("base", base.out("model"))
                .inputs("dataset", task.get(item).out("dataset"))
                .with("keep-heads", true).with("optimizer", "adamw").with("lr", 0.001).with("batch", 64)
                .with("epochs", epochs).with("schedule", "cosine")));
        TaskGroup finetunePredict = w.forEach("finetune-predict", "model.predict", five, (item, i, t) -> jvm(t
                .inputs("model", finetune.get(item).out("model"))
                .inputs("dataset", task.get(item).out("dataset"))));
        TaskGroup finetuneMetrics = w.forEach("finetune-metrics", "eval.metrics", five, (item, i, t) -> jvm(t
                .inputs("predictions", finetunePredict.get(item).out("predictions"))
                .inputs("dataset", task.get(item).out("dataset"))));

        // The merges: the base and the 5 fine-tunes in; one model out, with every task's head.
        List<Output> models = finetune.out("model");
        TaskGroup taskArithmetic = w.forEach("task-arithmetic", "merge.task-arithmetic", List.of(0.3, 0.5, 1.0), (lambda, i, t) -> jvm(t
                .inputs("base", base.out("model")).inputs("models", models)
                .with("parameters", Map.of("lambda", lambda))));
        TaskGroup ties = w.forEach("ties", "merge.ties", List.of(0.2, 0.5), (density, i, t) -> jvm(t
                .inputs("base", base.out("model")).inputs("models", models)
                .with("parameters", ordered("density", density, "lambda", 1.0))));
        Task dareTies = merge(w, "dare-ties", base, models).with("parameters", ordered("density", 0.5, "lambda", 1.0));
        Task average = jvm(w.task("average", "merge.average").inputs("models", models));
        Task breadcrumbs = merge(w, "breadcrumbs", base, models).with("parameters", ordered("density", 0.9, "gamma", 0.01, "lambda", 1.0));
        Task della = merge(w, "della", base, models).with("parameters", ordered("density", 0.5, "epsilon", 0.15, "lambda", 1.0));
        Task modelStock = merge(w, "model-stock", base, models);
        Task consensus = merge(w, "consensus", base, models);
        Task lines = merge(w, "lines", base, models);
        Task fisher = merge(w, "fisher", base, models).inputs("datasets", tasks.out("dataset"));
        Task regmean = merge(w, "regmean", base, models).inputs("datasets", tasks.out("dataset"));
        Task adamerging = merge(w, "adamerging", base, models).inputs("datasets", tasks.out("dataset")).with("steps", 100);

        // Joint multi-task training, the row merging is measured against: every task at once, equal weights.
        Task joint = jvm(w.task("joint", "train.multitask")
                .inputs("datasets", tasks.out("dataset"))
                .with("hidden", List.of(256, 128)).with("optimizer", "adamw").with("lr", 0.001).with("batch", 64)
                .with("epochs", epochs).with("schedule", "cosine").with("weighting", "equal"));

        // Every model (joint training, the base the fine-tunes start from, and each merge) on every task.
        List<Task> all = new ArrayList<>(List.of(joint, base));
        all.addAll(taskArithmetic.tasks());
        all.addAll(ties.tasks());
        all.addAll(List.of(dareTies, average, breadcrumbs, della, modelStock, consensus, lines, fisher, regmean, adamerging));
        TaskGroup predict = w.forEach("predict", "model.predict", all, (model, i, t) -> jvm(t
                .inputs("model", model.out("model"))
                .inputs("dataset", tasks.out("dataset"))));
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) indices.add(i);
        TaskGroup metrics = w.forEach("metrics", "eval.metrics", indices, (item, i, t) -> jvm(t
                .inputs("predictions", predict.get(item).out("predictions"))
                .inputs("dataset", tasks.out("dataset"))));
        w.forEach("normalized", "eval.normalized", indices, (item, i, t) -> jvm(t
                .inputs("metrics", List.of(metrics.get(item).out("metrics")))
                .inputs("references", finetuneMetrics.out("metrics"))));

        // The results table, a row per model in predict's order (printed when the run ends).
        jvm(w.task("results", "eval.table")
                .inputs("metrics", metrics.out("metrics"))
                .inputs("references", finetuneMetrics.out("metrics"))
                .with("rows", List.of("joint multi-task", "base", "task-arithmetic lambda=0.3", "task-arithmetic lambda=0.5",
                        "task-arithmetic lambda=1.0", "ties density=0.2", "ties density=0.5", "dare-ties", "average", "breadcrumbs",
                        "della", "model-stock", "consensus", "lines", "fisher", "regmean", "adamerging")));
        return w;
    }

    /** The YAML file's defaults: every task on the JVM device. */
    private static Task jvm(Task t) {
        return t.resources(DeviceSelector.JVM);
    }

    private static Task merge(Workflow w, String id, Task base, List<Output> models) {
        return jvm(w.task(id, "merge." + id).inputs("base", base.out("model")).inputs("models", models));
    }

    /** A map that keeps its keys in the order given, as the YAML file writes them. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }
}
