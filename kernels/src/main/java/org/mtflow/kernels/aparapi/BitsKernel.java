package org.mtflow.kernels.aparapi;

import com.aparapi.Kernel;

/**
 * Base of the kernels that need float bits or Java's exact min/max: OpenCL intrinsics Aparapi does
 * not map itself, and the Java semantics that OpenCL's fmin/fmax do not give (NaN propagates, +0
 * beats −0). Kernels of this package are compiled before their first launch and never run on
 * Aparapi's Java thread pool (see {@link AparapiOps}): the Java bodies of the two intrinsics are
 * placeholders, because Aparapi rejects a call to the native {@code Float.floatToRawIntBits}.
 */
abstract class BitsKernel extends Kernel {

    /** The raw bits of a float: OpenCL's {@code as_int}. */
    @OpenCLMapping(mapTo = "as_int")
    protected int floatBits(float f) {
        return 0; // placeholder: only the OpenCL mapping runs
    }

    /** The float with the given raw bits: OpenCL's {@code as_float}. */
    @OpenCLMapping(mapTo = "as_float")
    protected float bitsFloat(int bits) {
        return 0f; // placeholder: only the OpenCL mapping runs
    }

    /** 1 when v is in [lo, hi] (lo ≤ hi), else 0, without a branch. */
    protected int inside(int v, int lo, int hi) {
        return (v >= lo ? 1 : 0) - (v > hi ? 1 : 0);
    }

    /** {@link Math#max(float, float)} exactly: NaN propagates, +0 is larger than −0. */
    protected float javaMax(float x, float y) {
        float r = x >= y ? x : y;
        if (x == 0f && y == 0f && floatBits(x) < 0) {
            r = y;
        }
        if (x != x) {
            r = x;
        }
        return r;
    }

    /** {@link Math#min(float, float)} exactly: NaN propagates, −0 is smaller than +0. */
    protected float javaMin(float x, float y) {
        float r = x <= y ? x : y;
        if (x == 0f && y == 0f && floatBits(y) < 0) {
            r = y;
        }
        if (x != x) {
            r = x;
        }
        return r;
    }
}
