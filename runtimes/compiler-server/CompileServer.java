// Warm Java compiler (docs/decisions/runtimes-compiler-server.md). Runs in its own
// bubblewrap sandbox and cgroup, started by runtimes/compiler-server.ts with Java's
// source launcher. It never loads or runs a program's classes: each request is a
// javax.tools compile of sources held in memory, with no class path, no source path
// and no annotation processing, into class files held in memory that go back in the
// answer. Nothing of a request outlives it: every compile gets its own file manager
// view, and the shared standard file manager reads only the JDK's own modules.
//
// Protocol on stdin/stdout, big-endian (DataInput/DataOutput):
//   request: int files, per file (bytes name, bytes UTF-8 source), int options,
//            per option (bytes), long maxFileBytes, long maxTotalBytes, int maxDiagBytes
//   answer:  int magic 0x434f4d50, byte status (0 ok, 1 compile error, 2 too large,
//            3 compiler crash), bytes diagnostics, int classes, per class (bytes path, bytes)
// where bytes = int length + that many bytes. It writes the magic 0x52454459 once warm.
import java.io.*;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.*;
import javax.tools.*;

public class CompileServer {
    static final int ANSWER = 0x434f4d50, READY = 0x52454459;

    static final class Source extends SimpleJavaFileObject {
        final String name, text;
        Source(String name, String text) {
            super(URI.create("mem:///src/" + name), Kind.SOURCE);
            this.name = name;
            this.text = text;
        }
        @Override public String getName() { return name; }
        @Override public CharSequence getCharContent(boolean ignoreErrors) { return text; }
    }

    static final class TooLarge extends IOException {
        TooLarge(String m) { super(m); }
    }

    /** One compile's outputs, bounded per file and in total. */
    static final class Outputs {
        final long maxFile, maxTotal;
        long total;
        final Map<String, ByteArrayOutputStream> files = new LinkedHashMap<>();
        Outputs(long maxFile, long maxTotal) { this.maxFile = maxFile; this.maxTotal = maxTotal; }

        JavaFileObject create(String path, JavaFileObject.Kind kind) {
            Outputs self = this;
            return new SimpleJavaFileObject(URI.create("mem:///out/" + path), kind) {
                @Override public OutputStream openOutputStream() {
                    ByteArrayOutputStream b = new ByteArrayOutputStream() {
                        @Override public synchronized void write(byte[] d, int off, int len) {
                            if (count + len > self.maxFile) throw new UncheckedIOException(new TooLarge(path + " is larger than the file size limit of " + self.maxFile + " bytes"));
                            self.total += len;
                            if (self.total > self.maxTotal) throw new UncheckedIOException(new TooLarge("the class files are larger than " + self.maxTotal + " bytes in total"));
                            super.write(d, off, len);
                        }
                        @Override public synchronized void write(int x) { write(new byte[] { (byte) x }, 0, 1); }
                    };
                    files.put(path, b);
                    return b;
                }
            };
        }
    }

    static final class View extends ForwardingJavaFileManager<StandardJavaFileManager> {
        final Outputs out;
        View(StandardJavaFileManager m, Outputs out) { super(m); this.out = out; }
        @Override public JavaFileObject getJavaFileForOutput(Location l, String className, JavaFileObject.Kind kind, FileObject sibling) {
            return out.create(className.replace('.', '/') + kind.extension, kind);
        }
        @Override public FileObject getFileForOutput(Location l, String pkg, String name, FileObject sibling) throws IOException {
            throw new IOException("this compiler writes class files only");
        }
        @Override public boolean isSameFile(FileObject a, FileObject b) { return a.toUri().equals(b.toUri()); }
    }

    /** Diagnostics text, cut at a bound so a flood cannot fill the heap. */
    static final class Bounded extends Writer {
        final StringBuilder sb = new StringBuilder();
        final int max;
        Bounded(int max) { this.max = max; }
        @Override public void write(char[] c, int off, int len) { sb.append(c, off, Math.max(0, Math.min(len, max - sb.length()))); }
        void say(String s) { write(s.toCharArray(), 0, s.length()); }
        @Override public void flush() {}
        @Override public void close() {}
    }

    static final class Answer {
        int status;
        String diagnostics = "";
        Map<String, ByteArrayOutputStream> classes = Map.of();
        boolean fatal;
    }

    static final JavaCompiler JAVAC = ToolProvider.getSystemJavaCompiler();
    static StandardJavaFileManager shared;

    static Answer compile(List<Source> sources, List<String> options, long maxFile, long maxTotal, int maxDiag) {
        Answer a = new Answer();
        Outputs out = new Outputs(maxFile, maxTotal);
        Bounded diag = new Bounded(maxDiag);
        List<String> opts = new ArrayList<>(options);
        opts.addAll(List.of("-proc:none", "-implicit:class", "-Xmaxerrs", "100"));
        try {
            Boolean ok = JAVAC.getTask(diag, new View(shared, out), null, opts, null, sources).call();
            a.status = ok ? 0 : 1;
            a.classes = out.files;
        } catch (UncheckedIOException | IllegalStateException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            while (c.getCause() != null && !(c instanceof TooLarge)) c = c.getCause();
            if (c instanceof TooLarge) {
                a.status = 2;
                diag.say(c.getMessage() + "\n");
            } else crash(a, diag, e);
        } catch (IllegalArgumentException e) {
            a.status = 1;
            diag.say("javac: " + e.getMessage() + "\n");
        } catch (StackOverflowError e) {
            a.status = 1;
            diag.say("The compiler ran out of stack: the program nests too deeply.\n");
        } catch (Throwable e) {
            crash(a, diag, e);
        }
        a.diagnostics = diag.sb.toString();
        return a;
    }

    static void crash(Answer a, Bounded diag, Throwable e) {
        a.status = 3;
        a.fatal = true; // its state is suspect: answer, then exit so a fresh server starts
        StringWriter sw = new StringWriter();
        e.printStackTrace(new PrintWriter(sw));
        diag.say("The compiler crashed: " + sw + "\n");
    }

    static byte[] bytes(DataInputStream in, int max) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > max) throw new IOException("field of " + n + " bytes");
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static void put(DataOutputStream o, byte[] b) throws IOException {
        o.writeInt(b.length);
        o.write(b);
    }

    public static void main(String[] args) throws Exception {
        shared = JAVAC.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
        shared.setLocation(StandardLocation.CLASS_PATH, List.of());
        shared.setLocation(StandardLocation.SOURCE_PATH, List.of());
        shared.setLocation(StandardLocation.ANNOTATION_PROCESSOR_PATH, List.of());
        // Warm the compiler (JIT, loaded classes) on a fixed program before the first request.
        for (int i = 0; i < 12; i++)
            compile(List.of(new Source("Warm.java", "import java.util.*; public class Warm { public static void main(String[] a){ List<String> l = new ArrayList<>(); l.add(\"w\" + " + i + "); System.out.println(l); } }")), List.of(), 1 << 20, 1 << 20, 4096);
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
        out.writeInt(READY);
        out.flush();
        while (true) {
            int nFiles;
            try {
                nFiles = in.readInt();
            } catch (EOFException e) {
                return;
            }
            List<Source> sources = new ArrayList<>();
            for (int i = 0; i < nFiles; i++) sources.add(new Source(new String(bytes(in, 4096), StandardCharsets.UTF_8), new String(bytes(in, 16 << 20), StandardCharsets.UTF_8)));
            int nOpts = in.readInt();
            List<String> options = new ArrayList<>();
            for (int i = 0; i < nOpts; i++) options.add(new String(bytes(in, 4096), StandardCharsets.UTF_8));
            long maxFile = in.readLong(), maxTotal = in.readLong();
            int maxDiag = in.readInt();
            Answer[] box = new Answer[1];
            // A thread of its own with a deep stack, as javac's own launcher gets with -Xss.
            Thread t = new Thread(null, () -> box[0] = compile(sources, options, maxFile, maxTotal, maxDiag), "compile", 64L << 20);
            t.start();
            t.join();
            Answer a = box[0];
            out.writeInt(ANSWER);
            out.writeByte(a.status);
            put(out, a.diagnostics.getBytes(StandardCharsets.UTF_8));
            out.writeInt(a.status == 0 ? a.classes.size() : 0);
            if (a.status == 0) for (Map.Entry<String, ByteArrayOutputStream> e : a.classes.entrySet()) {
                put(out, e.getKey().getBytes(StandardCharsets.UTF_8));
                put(out, e.getValue().toByteArray());
            }
            out.flush();
            if (a.fatal) System.exit(3);
        }
    }
}
