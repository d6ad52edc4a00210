package org.mtflow.dsl;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.mtflow.devices.DeviceInfo;
import org.mtflow.engine.node.NodeCatalog;
import org.mtflow.engine.spec.SpecException;

/**
 * Loads a workflow written as a single-file Java script: compiles it in memory against the running
 * classpath (so it sees this DSL), loads it in a class loader of its own, and calls the one
 * {@code public static Workflow workflow(Params params)} (or {@code workflow()}) it declares.
 *
 * <pre>
 * import java.util.List;
 * import org.mtflow.dsl.*;
 *
 * class Study {
 *     public static Workflow workflow(Params params) {
 *         int n = params.integer("n", 3);          // --param n=5 overrides
 *         Workflow w = Workflow.named("study").seed(42).params(params);
 *         ...
 *         return w;
 *     }
 * }
 * </pre>
 *
 * Compile errors are reported as {@code study.java:LINE:COL: error: message}; an exception the script
 * throws as {@code study.java:LINE: error: ...} at the script's line.
 */
public final class WorkflowScript {
    private WorkflowScript() {}

    /** Whether a file is loaded as a Java script rather than as YAML. */
    public static boolean isScript(Path file) {
        return file.getFileName() != null && file.getFileName().toString().endsWith(".java");
    }

    /**
     * @param paramOverrides {@code --param} name → value text, read by the script's {@link Params}
     * @param devices        the devices the run may use, or null to skip the device check
     */
    public static LoadedWorkflow load(Path file, Map<String, String> paramOverrides, NodeCatalog catalog,
                                      Collection<DeviceInfo> devices) throws SpecException {
        String source = WorkflowLoader.readText(file);
        Map<String, byte[]> classes = compile(file, source);
        Params params = Params.of(paramOverrides == null ? Map.of() : paramOverrides);
        Workflow workflow = run(file, classes, params);
        List<String> unknown = params.unknownOverrides();
        if (!unknown.isEmpty()) throw new SpecException(unknown.stream().map(u -> file + ": error: " + u).toList());
        return workflow.build(catalog, devices, file);
    }

    private static Map<String, byte[]> compile(Path file, String source) throws SpecException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new SpecException(List.of(file + ": error: mtflow runs .java scripts on a JDK, not a JRE (no Java"
                    + " compiler in " + System.getProperty("java.home") + "; install one: apt-get install -y"
                    + " openjdk-17-jdk-headless, or write the workflow in YAML)"));
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<String, byte[]> classes = new HashMap<>();
        JavaFileManager files = new InMemoryClasses(javac.getStandardFileManager(diagnostics, Locale.ROOT, null), classes);
        List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "--release", "17",
                "-proc:none", "-g", "-encoding", "UTF-8");
        boolean ok = javac.getTask(null, files, diagnostics, options, null, List.of(new ScriptSource(file, source))).call();
        List<String> errors = new ArrayList<>();
        for (javax.tools.Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != javax.tools.Diagnostic.Kind.ERROR) continue;
            String at = d.getLineNumber() > 0 ? ":" + d.getLineNumber() + ":" + d.getColumnNumber() : "";
            errors.add(file + at + ": error: " + oneLine(d.getMessage(Locale.ROOT)));
        }
        if (!ok || !errors.isEmpty()) {
            if (errors.isEmpty()) errors.add(file + ": error: the script does not compile");
            throw new SpecException(errors);
        }
        return classes;
    }

    /** javac's message on one line: "cannot find symbol (symbol: variable x, location: class Y)". */
    private static String oneLine(String message) {
        String[] lines = message.split("\\R");
        if (lines.length == 1) return lines[0];
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) if (!lines[i].isBlank()) rest.add(lines[i].trim().replaceAll("\\s+", " "));
        return lines[0] + (rest.isEmpty() ? "" : " (" + String.join(", ", rest) + ")");
    }

    private static Workflow run(Path file, Map<String, byte[]> classes, Params params) throws SpecException {
        ScriptClassLoader loader = new ScriptClassLoader(classes);
        List<Method> entries = new ArrayList<>();
        for (String name : classes.keySet().stream().sorted().toList()) {
            Class<?> c;
            try {
                c = loader.loadClass(name);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new SpecException(List.of(file + ": error: cannot load the compiled class " + name + ": " + e));
            }
            if (c.getEnclosingClass() != null) continue;
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals("workflow") && Modifier.isStatic(m.getModifiers())
                        && Workflow.class.equals(m.getReturnType())
                        && (m.getParameterCount() == 0 || List.of(m.getParameterTypes()).equals(List.of(Params.class)))) {
                    entries.add(m);
                }
            }
        }
        String signature = "public static Workflow workflow(Params params) (or workflow())";
        if (entries.isEmpty()) {
            throw new SpecException(List.of(file + ": error: the script declares no " + signature
                    + " in a top-level class; add one that returns the workflow"));
        }
        if (entries.size() > 1) {
            throw new SpecException(List.of(file + ": error: the script declares " + entries.size() + " entry methods ("
                    + String.join(", ", entries.stream().map(m -> m.getDeclaringClass().getName() + "." + m.getName()
                    + (m.getParameterCount() == 0 ? "()" : "(Params)")).toList()) + "); keep one " + signature));
        }
        Method entry = entries.get(0);
        if (!Modifier.isPublic(entry.getModifiers())) {
            throw new SpecException(List.of(file + ": error: " + entry.getDeclaringClass().getName()
                    + ".workflow must be public (" + signature + ")"));
        }
        entry.setAccessible(true); // the class itself may be package-private, as a script's often is
        Object result;
        try {
            result = entry.getParameterCount() == 0 ? entry.invoke(null) : entry.invoke(null, params);
        } catch (InvocationTargetException e) {
            throw new SpecException(List.of(thrown(file, e.getCause(), loader)));
        } catch (IllegalAccessException e) {
            throw new SpecException(List.of(file + ": error: cannot call " + entry + ": " + e.getMessage()));
        }
        if (result == null) {
            throw new SpecException(List.of(file + ": error: workflow() returned null; return the Workflow it builds"));
        }
        return (Workflow) result;
    }

    /** What the script threw, at the deepest line of the script on the way (the call that failed). */
    private static String thrown(Path file, Throwable t, ScriptClassLoader loader) {
        String at = file.toString();
        for (StackTraceElement e : t.getStackTrace()) {
            if (loader.defines(e.getClassName()) && e.getLineNumber() > 0) {
                at = file + ":" + e.getLineNumber();
                break;
            }
        }
        String what = t instanceof Params.ParamException ? t.getMessage()
                : "the script threw " + t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return at + ": error: " + what;
    }

    /** The script's text as the compiler's only source; any class name fits the file, as with {@code java File.java}. */
    private static final class ScriptSource extends SimpleJavaFileObject {
        private final String text;

        ScriptSource(Path file, String text) {
            super(URI.create("string:///" + file.getFileName().toString().replace(" ", "%20")), Kind.SOURCE);
            this.text = text;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) { return text; }

        @Override
        public boolean isNameCompatible(String simpleName, Kind kind) { return true; }
    }

    /** Keeps the compiled classes in memory: nothing is written next to the script. */
    private static final class InMemoryClasses extends ForwardingJavaFileManager<JavaFileManager> {
        private final Map<String, byte[]> classes;

        InMemoryClasses(JavaFileManager files, Map<String, byte[]> classes) {
            super(files);
            this.classes = classes;
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                                                   FileObject sibling) {
            if (location != StandardLocation.CLASS_OUTPUT || kind != JavaFileObject.Kind.CLASS) {
                throw new IllegalStateException("the script compiler writes only classes, not " + className);
            }
            return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + ".class"), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            classes.put(className, toByteArray());
                        }
                    };
                }
            };
        }
    }

    /** The script's classes, over the loader that has the DSL (so both see one {@link Workflow} class). */
    private static final class ScriptClassLoader extends ClassLoader {
        private final Map<String, byte[]> classes;

        ScriptClassLoader(Map<String, byte[]> classes) {
            super("mtflow-script", Workflow.class.getClassLoader());
            this.classes = classes;
        }

        boolean defines(String name) {
            return classes.containsKey(name);
        }

        /** The script's own classes first: a script class named like one on the classpath is still the script's. */
        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (!classes.containsKey(name)) return super.loadClass(name, resolve);
                Class<?> c = findLoadedClass(name);
                return c != null ? c : findClass(name);
            }
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] b = classes.get(name);
            if (b == null) throw new ClassNotFoundException(name);
            return defineClass(name, b, 0, b.length);
        }
    }
}
