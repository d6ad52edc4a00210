package org.mtflow.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** samples/fashion-mlp.yaml through the real command, one epoch: train, predict, score. */
class FashionMlpWorkflowTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SAMPLE = Cli.REPO.resolve("samples/fashion-mlp.yaml");

    @TempDir
    Path home;

    @Test
    void oneEpochTrainsAModelThatItsPredictionsScoreAboveSeventyPercent() throws Exception {
        Cli.Result r = Cli.run("run", SAMPLE.toString(), "--home", home.toString(), "--run-id", "one", "--param", "epochs=1");
        assertEquals(0, r.exit(), r.toString());
        JsonNode report = JSON.readTree(home.resolve("runs/one/report.json").toFile());
        assertEquals("succeeded", report.path("status").asText(), report.toPrettyString());
        for (String task : List.of("fashion", "fit", "predict", "metrics")) {
            assertEquals("succeeded", report.path("tasks").path(task).path("status").asText(), task);
        }
        JsonNode fit = report.path("tasks").path("fit").path("metrics");
        assertEquals(1, fit.path("epochs-run").asInt(), fit.toString());
        JsonNode metrics = report.path("tasks").path("metrics").path("metrics");
        assertEquals(10000, metrics.path("examples").asInt(), metrics.toString());
        double accuracy = metrics.path("accuracy").asDouble();
        assertTrue(accuracy > 0.7, "one epoch should pass 70 % test accuracy: " + metrics);
        assertEquals(fit.path("test-accuracy").asDouble(), accuracy, "eval.metrics scores the model train.fit reported on");
        assertTrue(metrics.path("loss").isNumber(), metrics.toString());
    }
}
