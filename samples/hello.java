// The first mtflow workflow as a Java script: the same workflow as hello.yaml, task for task.
//   ./mtflow run samples/hello.java
//   ./mtflow run samples/hello.java --param size=1024
import java.util.List;
import org.mtflow.devices.DeviceSelector;
import org.mtflow.dsl.*;

class Hello {
    public static Workflow workflow(Params params) {
        int size = params.integer("size", 512);
        Workflow w = Workflow.named("hello").seed(42).params(params);

        Task fashion = w.task("fashion", "data.fashion-mnist")
                .resources(DeviceSelector.JVM);              // file reading: leave the accelerator to the matmul
        w.task("stats", "eval.dataset-stats")
                .inputs("dataset", fashion.out("dataset"))
                .resources(DeviceSelector.JVM);
        Task a = w.task("a", "util.random").with("shape", List.of(size, size));
        Task b = w.task("b", "util.random").with("shape", List.of(size, size));
        w.task("product", "util.matmul")
                .inputs("a", a.out("tensor"))
                .inputs("b", b.out("tensor"))
                .resources(DeviceSelector.ANY)               // the best free device: GPU, then OpenCL CPU, then JVM
                .retry(2, "100ms")
                .timeout("5m");
        return w;
    }
}
