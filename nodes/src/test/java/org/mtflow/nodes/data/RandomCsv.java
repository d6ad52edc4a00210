package org.mtflow.nodes.data;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A random CSV for feeding dataset nodes through data.csv: features f0.. with their own offsets and
 * scales (f0 constant, to exercise that case), an integer label column last.
 */
final class RandomCsv {
    private RandomCsv() {}

    static Path write(Path dir, SplittableRandom rnd, int rows, int features, int classes) throws Exception {
        Path file = dir.resolve("random-" + rnd.nextInt(1 << 30) + ".csv");
        double[] offset = new double[features], scale = new double[features];
        for (int j = 0; j < features; j++) {
            offset[j] = rnd.nextDouble(-100, 100);
            scale[j] = j == 0 ? 0 : Math.exp(rnd.nextDouble(-3, 5));
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            StringBuilder header = new StringBuilder();
            for (int j = 0; j < features; j++) header.append('f').append(j).append(',');
            w.println(header.append("label"));
            for (int i = 0; i < rows; i++) {
                StringBuilder row = new StringBuilder();
                for (int j = 0; j < features; j++) row.append((float) (offset[j] + scale[j] * rnd.nextGaussian())).append(',');
                w.println(row.append(rnd.nextInt(classes)));
            }
        }
        return file;
    }
}
