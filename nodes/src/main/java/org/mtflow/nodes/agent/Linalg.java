package org.mtflow.nodes.agent;

/** The small dense linear algebra the policies need (d ≤ ~10, n ≤ a few hundred), in double. */
final class Linalg {
    private Linalg() {}

    /**
     * The lower Cholesky factor of the symmetric matrix {@code a} + jitter·I, with the smallest jitter
     * of 0, 1e-10·mean diagonal, ×10 … that makes it positive definite; null if none up to the mean
     * diagonal does.
     */
    static double[][] cholesky(double[][] a) {
        int n = a.length;
        double scale = 0;
        for (int i = 0; i < n; i++) scale += a[i][i] / n;
        for (double jitter = 0; jitter <= scale; jitter = jitter == 0 ? 1e-10 * scale : jitter * 10) {
            double[][] l = tryCholesky(a, jitter);
            if (l != null) return l;
        }
        return null;
    }

    private static double[][] tryCholesky(double[][] a, double jitter) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j] + (i == j ? jitter : 0);
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                if (i == j) {
                    if (!(s > 0)) return null;
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        return l;
    }

    /** x with L·x = b. */
    static double[] forward(double[][] l, double[] b) {
        double[] x = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i][k] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }

    /** x with Lᵀ·x = b. */
    static double[] backward(double[][] l, double[] b) {
        int n = b.length;
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= l[k][i] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /**
     * Eigen-decomposition of the symmetric matrix {@code a} by cyclic Jacobi rotations: returns the
     * eigenvalues and fills {@code vectors} (columns are the eigenvectors).
     */
    static double[] symmetricEigen(double[][] a, double[][] vectors) {
        int n = a.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = a[i].clone();
            java.util.Arrays.fill(vectors[i], 0);
            vectors[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0, total = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    total += m[i][j] * m[i][j];
                    if (i != j) off += m[i][j] * m[i][j];
                }
            }
            if (off <= 1e-30 * total) break;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (m[p][q] == 0) continue;
                    double theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) {
                        double mkp = m[k][p], mkq = m[k][q];
                        m[k][p] = c * mkp - s * mkq;
                        m[k][q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++) {
                        double mpk = m[p][k], mqk = m[q][k];
                        m[p][k] = c * mpk - s * mqk;
                        m[q][k] = s * mpk + c * mqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = vectors[k][p], vkq = vectors[k][q];
                        vectors[k][p] = c * vkp - s * vkq;
                        vectors[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) values[i] = m[i][i];
        return values;
    }
}
