package org.mtflow.nodes.merge;

/**
 * Parameter values resolved for one tensor, after name filters and layer gradients (mergekit's
 * semantics): per-model values such as {@code weight} and {@code density}, and method-wide ones such
 * as {@code lambda}, {@code normalize} or {@code t}. Names are mergekit's.
 */
public interface TensorParams {

    /** Model i's value of a per-model parameter, or {@code fallback} when it is not set. */
    double model(int i, String name, double fallback);

    /** A method-wide value, or {@code fallback} when it is not set. */
    double global(String name, double fallback);

    /** A method-wide flag, or {@code fallback} when it is not set. */
    boolean flag(String name, boolean fallback);
}
