package org.mtflow.dsl;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;

/**
 * Where a builder call was written: the first frame of the caller's stack outside the DSL's own
 * classes. A Java script cannot be checked against the node catalog when it compiles, so a wrong
 * wiring is reported at build time at the line of the script that wrote it.
 */
record CallSite(String file, int line) {
    static final Comparator<CallSite> BY_PLACE =
            Comparator.comparing(CallSite::file).thenComparingInt(CallSite::line);

    /** The DSL classes a call passes through on its way in; nested classes count as their outer one. */
    private static final Set<Class<?>> DSL = Set.of(Workflow.class, Task.class, Output.class, TaskGroup.class,
            Params.class, CallSite.class);
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    static CallSite here() {
        return WALKER.walk(frames -> frames.filter(f -> !DSL.contains(outermost(f.getDeclaringClass())))
                .findFirst()
                .map(f -> new CallSite(f.getFileName() == null ? f.getClassName() : f.getFileName(), f.getLineNumber()))
                .orElse(new CallSite("<unknown>", -1)));
    }

    private static Class<?> outermost(Class<?> c) {
        while (c.getEnclosingClass() != null) c = c.getEnclosingClass();
        return c;
    }

    /**
     * {@code file:line}; a site in the script being loaded is named by the script's path as the user
     * gave it (the class file only knows the file's name).
     */
    String format(Path script) {
        String name = script != null && script.getFileName() != null && script.getFileName().toString().equals(file)
                ? script.toString() : file;
        return line > 0 ? name + ":" + line : name;
    }
}
