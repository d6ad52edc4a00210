package org.mtflow.engine.spec;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as written in workflow files: {@code 4096}, {@code 512MiB}, {@code 2GiB}, {@code 1GB}. */
public final class Sizes {
    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?");

    private Sizes() {}

    public static Optional<Long> parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) return Optional.empty();
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        double factor = switch (unit) {
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            case "TiB" -> 1L << 40;
            case "KB" -> 1e3;
            case "MB" -> 1e6;
            case "GB" -> 1e9;
            case "TB" -> 1e12;
            default -> 1;
        };
        return Optional.of(Math.round(v * factor));
    }

    public static String format(long bytes) {
        String[] units = {"GiB", "MiB", "KiB"};
        int[] shifts = {30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) return bytes / unit + units[i];
        }
        return Long.toString(bytes);
    }
}
