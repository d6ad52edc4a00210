package org.mtflow.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Command line of {@link KernelBench}.
 *
 * @param ops        op selectors (an op name such as {@code matmul}, or {@code op:variant} such as
 *                   {@code encodeHalf:BF16}); empty for all
 * @param sizes      matmul sizes n (m = n = k)
 * @param elems      element counts of the elementwise, reduction, optimizer and merge ops
 * @param topkElems  element counts of topkThreshold
 * @param devices    device ids ({@code jvm}, {@code opencl0}…); empty for all
 * @param csv        also write the rows to this CSV file, or null
 */
record KernelBenchOptions(List<String> ops, List<Integer> sizes, List<Integer> elems, List<Integer> topkElems,
        List<String> devices, Timing.Plan plan, boolean quick, Path csv, boolean list, boolean help) {

    static final String USAGE = """
            usage: bench/run.sh KernelBench [options]
              --ops LIST         ops to run, comma-separated: an op (matmul, axpy, encodeHalf…) or
                                 op:variant (matmul:At*B, encodeHalf:BF16, electSign:COUNT); default all
              --sizes LIST       matmul sizes n for n×n·n×n (default 256,512,1024,2048)
              --elems LIST       elements of the memory-bound, GELU and softmax ops (default 32Mi)
              --topk-elems LIST  elements of topkThreshold (default 50M)
              --device LIST      device ids: jvm, opencl0, opencl1… (default all)
              --reps N           timed calls after warm-up (default 10; 3 with --quick)
              --max-seconds S    stop timing a row once its timed calls took S seconds (default 10)
              --quick            small sizes, short warm-up, 3 reps: a smoke test, not figures
              --csv FILE         also write every row to FILE
              --list             list the ops, variants and byte/flop models, then exit
              --help             this text
            Sizes take k/M/G (×10^3/10^6/10^9) or Ki/Mi/Gi (×2^10/2^20/2^30): 50M, 32Mi, 2048.
            """;

    static KernelBenchOptions parse(String... args) {
        boolean quick = false;
        for (String a : args) quick |= a.equals("--quick");
        List<String> ops = List.of(), devices = List.of();
        List<Integer> sizes = quick ? List.of(128) : List.of(256, 512, 1024, 2048);
        List<Integer> elems = quick ? List.of(1 << 20) : List.of(32 << 20);
        List<Integer> topk = quick ? List.of(1_000_000) : List.of(50_000_000);
        int reps = quick ? 3 : 10;
        double maxSeconds = quick ? 0.5 : 10;
        Path csv = null;
        boolean list = false, help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i], value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "--quick" -> { }
                case "--list" -> list = true;
                case "--help", "-h" -> help = true;
                case "--ops" -> ops = words(value != null ? value : next(args, ++i, arg));
                case "--device", "--devices" -> devices = words(value != null ? value : next(args, ++i, arg));
                case "--sizes" -> sizes = counts(value != null ? value : next(args, ++i, arg), arg);
                case "--elems" -> elems = counts(value != null ? value : next(args, ++i, arg), arg);
                case "--topk-elems" -> topk = counts(value != null ? value : next(args, ++i, arg), arg);
                case "--reps" -> reps = positiveInt(value != null ? value : next(args, ++i, arg), arg);
                case "--max-seconds" -> maxSeconds = positiveDouble(value != null ? value : next(args, ++i, arg), arg);
                case "--csv" -> csv = Path.of(value != null ? value : next(args, ++i, arg));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
            }
        }
        Timing.Plan plan = quick
                ? new Timing.Plan(2, 0, 0.5, reps, maxSeconds)
                : new Timing.Plan(3, 1.0, 5.0, reps, maxSeconds);
        return new KernelBenchOptions(ops, sizes, elems, topk, devices, plan, quick, csv, list, help);
    }

    private static String next(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static List<String> words(String value) {
        List<String> out = new ArrayList<>();
        for (String w : value.split(",")) if (!w.isBlank()) out.add(w.trim());
        if (out.isEmpty()) throw new IllegalArgumentException("empty list '" + value + "'");
        return List.copyOf(out);
    }

    private static List<Integer> counts(String value, String option) {
        List<Integer> out = new ArrayList<>();
        for (String w : words(value)) out.add(count(w, option));
        return List.copyOf(out);
    }

    /** 2048, 50M (5·10^7), 32Mi (2^25), 4k, 1Gi… */
    static int count(String w, String option) {
        long mult = 1;
        String digits = w;
        String[][] suffixes = {{"Ki", "1024"}, {"Mi", "1048576"}, {"Gi", "1073741824"},
            {"k", "1000"}, {"K", "1000"}, {"M", "1000000"}, {"G", "1000000000"}};
        for (String[] s : suffixes) {
            if (w.endsWith(s[0])) {
                mult = Long.parseLong(s[1]);
                digits = w.substring(0, w.length() - s[0].length());
                break;
            }
        }
        long v;
        try {
            v = Long.parseLong(digits.trim()) * mult;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + w + "' is not a count (e.g. 2048, 50M, 32Mi)");
        }
        if (v < 1 || v > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(option + ": " + w + " is out of range");
        return (int) v;
    }

    /** The shortest label for a count: 32Mi, 50M, 1000, 4Ki… */
    static String label(long n) {
        if (n >= 1 << 20 && n % (1 << 20) == 0) return n / (1 << 20) + "Mi";
        if (n >= 1_000_000 && n % 1_000_000 == 0) return n / 1_000_000 + "M";
        if (n >= 1 << 10 && n % (1 << 10) == 0 && n >= 1 << 16) return n / (1 << 10) + "Ki";
        return Long.toString(n);
    }

    private static int positiveInt(String v, String option) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a positive integer, got '" + v + "'");
    }

    private static double positiveDouble(String v, String option) {
        try {
            double d = Double.parseDouble(v);
            if (d > 0) return d;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a positive number, got '" + v + "'");
    }

    /** Whether the op selectors pick the case {@code op}/{@code variant}. */
    boolean selects(String op, String variant) {
        if (ops.isEmpty()) return true;
        for (String s : ops) {
            String l = s.toLowerCase(Locale.ROOT);
            if (l.equals(op.toLowerCase(Locale.ROOT))) return true;
            if (l.equals((op + ":" + variant).toLowerCase(Locale.ROOT))) return true;
        }
        return false;
    }
}
