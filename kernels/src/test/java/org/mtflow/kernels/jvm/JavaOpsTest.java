package org.mtflow.kernels.jvm;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.mtflow.kernels.TensorOps;
import org.mtflow.kernels.TensorOpsContract;

class JavaOpsTest {
    private static final JavaOps ONE = new JavaOps(1);
    private static final JavaOps TWO = new JavaOps(2);

    @AfterAll
    static void close() {
        ONE.close();
        TWO.close();
    }

    @Nested
    class OneThread extends TensorOpsContract {
        @Override
        protected TensorOps ops() { return ONE; }
    }

    @Nested
    class TwoThreads extends TensorOpsContract {
        @Override
        protected TensorOps ops() { return TWO; }
    }
}
