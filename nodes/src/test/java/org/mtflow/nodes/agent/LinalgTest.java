package org.mtflow.nodes.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mtflow.nodes.TestSeeds;

class LinalgTest {

    /** A random symmetric positive definite matrix Mᵀ·M + 0.1·I. */
    static double[][] spd(SplittableRandom rnd, int n) {
        double[][] m = new double[n][n], a = new double[n][n];
        for (double[] row : m) for (int j = 0; j < n; j++) row[j] = rnd.nextGaussian();
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            for (int k = 0; k < n; k++) a[i][j] += m[k][i] * m[k][j];
            if (i == j) a[i][j] += 0.1;
        }
        return a;
    }

    @Test
    void choleskyAndTriangularSolvesReproduceTheMatrix() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < 20; t++) {
            int n = 1 + rnd.nextInt(12);
            double[][] a = spd(rnd, n);
            double[][] l = Linalg.cholesky(a);
            String msg = "seed=" + seed + " trial " + t + " n=" + n;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += l[i][k] * l[j][k];
                assertEquals(a[i][j], s, 1e-10 * n, msg + " (L·Lᵀ)[" + i + "][" + j + "]");
                if (j > i) assertEquals(0, l[i][j], 0, msg + " L is lower triangular");
            }
            double[] b = new double[n];
            for (int i = 0; i < n; i++) b[i] = rnd.nextGaussian();
            double[] x = Linalg.backward(l, Linalg.forward(l, b)); // A·x = b
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i][k] * x[k];
                assertEquals(b[i], s, 1e-8, msg + " (A·x)[" + i + "]");
            }
        }
        // a negative definite matrix is no Cholesky factor's square at any jitter up to its scale
        assertNull(Linalg.cholesky(new double[][] {{-1, 0}, {0, -1}}));
    }

    @Test
    void symmetricEigenReconstructsTheMatrixWithOrthonormalVectors() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < 20; t++) {
            int n = 1 + rnd.nextInt(10);
            double[][] a = spd(rnd, n);
            double[][] v = new double[n][n];
            double[] values = Linalg.symmetricEigen(a, v);
            String msg = "seed=" + seed + " trial " + t + " n=" + n;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
                double rec = 0, orth = 0;
                for (int k = 0; k < n; k++) {
                    rec += v[i][k] * values[k] * v[j][k];
                    orth += v[k][i] * v[k][j];
                }
                assertEquals(a[i][j], rec, 1e-9 * n, msg + " (V·Λ·Vᵀ)[" + i + "][" + j + "]");
                assertEquals(i == j ? 1 : 0, orth, 1e-12 * n, msg + " (Vᵀ·V)[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void nelderMeadFindsTheMinimumOfAQuadratic() {
        long seed = TestSeeds.next();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 + rnd.nextInt(5);
        double[] c = new double[n], w = new double[n];
        for (int j = 0; j < n; j++) {
            c[j] = 4 * rnd.nextGaussian();
            w[j] = 0.5 + 5 * rnd.nextDouble();
        }
        double[] x = NelderMead.minimize(p -> {
            double s = 0;
            for (int j = 0; j < n; j++) s += w[j] * (p[j] - c[j]) * (p[j] - c[j]);
            return s;
        }, new double[n], 1, 5000);
        for (int j = 0; j < n; j++) assertEquals(c[j], x[j], 1e-4, "seed=" + seed + " n=" + n + " coordinate " + j);
    }
}
