// samples/merge-search.yaml as a Java script, task for task: the flagship study's front part, then a
// search of TIES lambda and density for the best mean normalized accuracy, and a Pareto search over the
// 5 tasks' accuracies. The template is built with org.mtflow.dsl.Template.
//   ./mtflow run samples/merge-search.java
//   ./mtflow run samples/merge-search.java --param candidates=32 --param parallel=4
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.dsl.*;

class MergeSearch {
    static final List<String> TASKS = List.of("tshirt-shirt", "pullover-coat", "sandal-sneaker", "trouser-dress", "bag-boot");

    public static Workflow workflow(Params params) {
        int epochs = params.integer("epochs", 1);
        double fraction = params.number("fraction", 0.1);
        int baseEpochs = params.integer("base-epochs", 1);
        double baseFraction = params.number("base-fraction", 0.1);
        int candidates = params.integer("candidates", 10);
        int parallel = params.integer("parallel", 2);
        String policy = params.text("policy", "bayes");
        Workflow w = Workflow.named("merge-search").seed(42).params(params);

        Task fashion = w.task("fashion", "data.fashion-mnist").resources(DeviceSelector.JVM);
        Task trainPart = w.task("train-part", "data.subsample").inputs("dataset", fashion.out("dataset"))
                .with("fraction", fraction).resources(DeviceSelector.JVM);
        Task tasks = w.task("tasks", "data.tasks").inputs("dataset", trainPart.out("dataset"))
                .with("groups", List.of(List.of(0, 6), List.of(2, 4), List.of(5, 7), List.of(1, 3), List.of(8, 9)))
                .with("names", TASKS).resources(DeviceSelector.JVM);
        Task basePart = w.task("base-part", "data.subsample").inputs("dataset", tasks.out("dataset"))
                .with("fraction", baseFraction).resources(DeviceSelector.JVM);
        Task base = w.task("base", "train.multitask").inputs("datasets", basePart.out("dataset"))
                .with("hidden", List.of(256, 128)).with("optimizer", "adamw").with("lr", 0.001).with("batch", 64)
                .with("epochs", baseEpochs).with("schedule", "cosine").resources(DeviceSelector.JVM);
        List<Integer> indexes = List.of(0, 1, 2, 3, 4);
        TaskGroup task = w.forEach("task", "data.task", indexes, (i, k, t) -> t.inputs("dataset", tasks.out("dataset"))
                .with("index", i).resources(DeviceSelector.JVM));
        TaskGroup finetune = w.forEach("finetune", "train.finetune", indexes, (i, k, t) -> t.inputs("base", base.out("model"))
                .inputs("dataset", task.get(i).out("dataset")).with("keep-heads", true).with("optimizer", "adamw").with("lr", 0.001)
                .with("batch", 64).with("epochs", epochs).with("schedule", "cosine").resources(DeviceSelector.JVM));
        TaskGroup predict = w.forEach("finetune-predict", "model.predict", indexes, (i, k, t) -> t
                .inputs("model", finetune.get(i).out("model")).inputs("dataset", task.get(i).out("dataset")).resources(DeviceSelector.JVM));
        TaskGroup metrics = w.forEach("finetune-metrics", "eval.metrics", indexes, (i, k, t) -> t
                .inputs("predictions", predict.get(i).out("predictions")).inputs("dataset", task.get(i).out("dataset"))
                .resources(DeviceSelector.JVM));

        Map<String, Object> space = Map.of(
                "lambda", Map.of("range", List.of(0.2, 1.5)),
                "density", Map.of("range", List.of(0.05, 1.0), "log", true));
        Map<String, Object> budget = Map.of("candidates", candidates, "parallel", parallel);
        List<Map<String, Object>> perTask = new ArrayList<>();
        for (String name : TASKS) perTask.add(Map.of("metric", "metrics.task-accuracy." + name));
        for (String id : List.of("search", "pareto")) {
            Task search = w.task(id, "agent.search")
                    .inputs("base", base.out("model")).inputs("models", finetune.out("model"))
                    .inputs("dataset", tasks.out("dataset")).inputs("references", metrics.out("metrics"))
                    .with("space", space).with("policy", policy).with("budget", budget)
                    .with("template", template())
                    .resources(DeviceSelector.JVM);
            if (id.equals("search")) search.with("objective", Map.of("metric", "norm.normalized-accuracy", "goal", "maximize"));
            else search.with("seed", 7).with("objective", perTask);
        }
        return w;
    }

    /** samples/lib/merge-eval.yaml: merge the candidate's way, predict, score, normalize. */
    static Template template() {
        Template t = new Template();
        Template.Step merge = t.task("merge", "merge.ties")
                .inputs("base", Template.searchInput("base")).inputs("models", Template.searchInput("models"))
                .with("parameters", Map.of("lambda", Template.candidate("lambda"), "density", Template.candidate("density")));
        Template.Step predict = t.task("predict", "model.predict")
                .inputs("model", merge.out("model")).inputs("dataset", Template.searchInput("dataset"));
        Template.Step metrics = t.task("metrics", "eval.metrics")
                .inputs("predictions", predict.out("predictions")).inputs("dataset", Template.searchInput("dataset"));
        t.task("norm", "eval.normalized").inputs("metrics", metrics.out("metrics")).inputs("references", Template.searchInput("references"));
        return t;
    }
}
