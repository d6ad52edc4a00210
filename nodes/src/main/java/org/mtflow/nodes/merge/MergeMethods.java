package org.mtflow.nodes.merge;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The data-free merge methods, by name: adding one is one class and one line here. */
public final class MergeMethods {
    private MergeMethods() {}

    private static final List<MergeMethod> ALL = List.of(
            new AverageMerge(),
            new TaskArithmeticMerge(),
            new TiesMerge(),
            new DareLinearMerge(),
            new DareTiesMerge(),
            new BreadcrumbsMerge(),
            new BreadcrumbsTiesMerge(),
            new DellaMerge(),
            new DellaLinearMerge(),
            new ModelStockMerge(),
            new SlerpMerge(),
            new LinesMerge(),
            new ConsensusMerge());

    private static final Map<String, MergeMethod> BY_NAME =
            ALL.stream().collect(Collectors.toUnmodifiableMap(MergeMethod::name, Function.identity()));

    public static List<MergeMethod> all() {
        return ALL;
    }

    public static Optional<MergeMethod> named(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }
}
