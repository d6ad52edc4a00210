// samples/sweep.yaml as a Java script, task for task.
//   ./mtflow run samples/sweep.java --param n=128
import java.util.List;
import org.mtflow.dsl.*;

class Sweep {
    public static Workflow workflow(Params params) {
        int n = params.integer("n", 64);
        Workflow w = Workflow.named("sweep").seed(7).params(params);

        TaskGroup part = w.forEach("part", "util.random", List.of("a", "b", "c"),
                (item, index, task) -> task.with("shape", List.of(n, n)));
        Task total = w.task("total", "util.sum").inputs("values", part.out("tensor"));
        Task square = w.task("square", "util.matmul")
                .inputs("a", total.out("tensor"))
                .inputs("b", total.out("tensor"));
        w.task("fast", "util.noop")
                .inputs("x", square.out("tensor"))
                .when("${tasks.square.metrics.gflops} >= 0.1");
        return w;
    }
}
