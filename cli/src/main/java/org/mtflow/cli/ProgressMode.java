package org.mtflow.cli;

/**
 * How {@code mtflow run} shows a run's progress. The constants are named as they are typed:
 * {@code --progress=auto|bars|plain}.
 */
enum ProgressMode {
    /** Bars when stdout is a terminal, else plain lines. */
    auto,
    /** Live progress bars, one for the run and one per running task. */
    bars,
    /** One line per task state change, and a one-line summary every few seconds. */
    plain;

    /**
     * Whether this mode shows bars, given whether the JVM has a console (stdin and stdout are a
     * terminal) and the value of {@code TERM} (may be null).
     */
    boolean showsBars(boolean console, String term) {
        return switch (this) {
            case bars -> true;
            case plain -> false;
            case auto -> console && !"dumb".equals(term);
        };
    }
}
