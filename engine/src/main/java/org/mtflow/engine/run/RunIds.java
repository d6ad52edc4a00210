package org.mtflow.engine.run;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** Run ids name directories, so they are kept to a safe alphabet: no path can escape {@code runs/}. */
public final class RunIds {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private RunIds() {}

    public static boolean valid(String id) {
        return id != null && VALID.matcher(id).matches();
    }

    public static void check(String id) {
        if (!valid(id)) {
            throw new IllegalArgumentException("invalid run id '" + id
                    + "': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /** A fresh id: the workflow's name (made safe) and the local time to the millisecond. */
    public static String fresh(String workflowName) {
        String base = workflowName == null ? "run" : workflowName.replaceAll("[^A-Za-z0-9._-]", "-");
        if (base.isEmpty() || !Character.isLetterOrDigit(base.charAt(0))) base = "run" + base;
        if (base.length() > 100) base = base.substring(0, 100);
        return base + "-" + LocalDateTime.now().format(STAMP);
    }
}
