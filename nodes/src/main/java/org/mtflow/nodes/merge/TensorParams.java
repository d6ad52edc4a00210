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

    /** A method-wide choice among named variants (e.g. {@code consensus: count}), or {@code fallback}. */
    String option(String name, String fallback);

    /**
     * Where this tensor sits in the model's depth: {@code layer / (layers − 1)} for a tensor of a
     * numbered layer ({@code model.layers.12.…}, {@code trunk.2.…}), 0 for tensors before the layers
     * (embeddings) and 1 for those after them (heads, final norms). Gradients interpolate at this
     * point; LiNeS scales by it.
     */
    double depth();
}
