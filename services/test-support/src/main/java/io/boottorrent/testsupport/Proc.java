package io.boottorrent.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one way tests run other programs (ip, dhclient, QEMU, aria2c, a child JVM): output and errors
 * merged and read by a thread <em>while</em> the process runs, so a chatty program never blocks on a
 * full pipe; every line kept with the seconds since the start, optionally copied to a log file. A
 * run-to-completion is the same process waited for ({@link Spec#exec}); a long-running one is
 * awaited line by line ({@link Running#await}) and ended with {@link Running#stop}.
 */
public final class Proc {
  /** How long {@link #run} waits: enough for any setup command (ip, sysctl, kill). */
  public static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** How long {@link Running#close} gives a process between SIGTERM and SIGKILL. */
  public static final Duration GRACE = Duration.ofSeconds(10);
  /**
   * Options of {@link #java(String, String...)}: small, predictable child JVMs (several run beside
   * the test JVM and QEMU) that print UTF-8 whatever the locale.
   */
  public static final List<String> JVM_OPTIONS = List.of("-Xmx512m", "-XX:+UseSerialGC", "-Dfile.encoding=UTF-8");
  /** After its exit, how long a process's output may still be read (a daemonized child may hold the pipe). */
  private static final Duration DRAIN = Duration.ofSeconds(5);

  private Proc() {}

  /**
   * What a process reads: nothing ({@code /dev/null}, the default), or a pipe the test writes to.
   * Closing a pipe is the first, gentlest request to end: {@link Running#stop} closes it and gives
   * the process its grace to exit on that EOF before SIGTERM. A child that watches its input exits
   * when the test ends or dies (dhcp's NetnsServerMain does).
   */
  public enum Input { NULL, PIPE }

  public static Spec command(String... command) {
    return new Spec(Arrays.asList(command));
  }

  public static Spec command(List<String> command) {
    return new Spec(command);
  }

  /** Runs {@code command} to completion; see {@link Spec#exec}. */
  public static Result exec(Duration timeout, String... command) throws IOException, InterruptedException {
    return command(command).exec(timeout);
  }

  /** Runs {@code command} to completion ({@link #TIMEOUT} at most), returns its output; throws on a non-zero exit. */
  public static String run(String... command) throws IOException, InterruptedException {
    return command(command).run(TIMEOUT);
  }

  /**
   * A JVM on this test's classpath running {@code mainClass}, with {@link #JVM_OPTIONS}; see
   * {@link #java(List, String, String...)}.
   */
  public static Spec java(String mainClass, String... args) {
    return java(JVM_OPTIONS, mainClass, args);
  }

  /**
   * A JVM of the running JDK on this test's classpath ({@code surefire.test.class.path}, which
   * failsafe sets too, else {@code java.class.path}) running {@code mainClass}: how a test starts our
   * services where it cannot run them in-process (inside a network namespace). libjsig is preloaded
   * as bin/boottorrent does (libtorrent's signal handlers). A child that watches its input to
   * never outlive the test wants {@code .input(Input.PIPE)}.
   */
  public static Spec java(List<String> jvmOptions, String mainClass, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", testClassPath(), mainClass));
    command.addAll(List.of(args));
    Spec spec = command(command).name(mainClass.substring(mainClass.lastIndexOf('.') + 1));
    libjsig().ifPresent(jsig -> spec.env("LD_PRELOAD", jsig.toString()));
    return spec;
  }

  /** The classpath of the running tests: surefire's and failsafe's own, else the JVM's. */
  public static String testClassPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  /** The running JDK's libjsig.so, if it has one. */
  public static Optional<Path> libjsig() {
    Path jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
    return Files.isRegularFile(jsig) ? Optional.of(jsig) : Optional.empty();
  }

  /** A finished run: exit code, the whole output (stdout and stderr merged, as written), and how long it took. */
  public record Result(List<String> command, int exit, String output, Duration elapsed) {
    public boolean ok() {
      return exit == 0;
    }

    /** This result, or an IOException with the command and its output when it exited non-zero. */
    public Result orThrow() throws IOException {
      if (exit != 0) {
        throw new IOException(String.join(" ", command) + " exited " + exit + ":\n" + output);
      }
      return this;
    }
  }

  /** A line of output: its index (0 = first), the seconds since the process started, the text. */
  public record Line(int index, double seconds, String text) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%8.2f %s", seconds, text);
    }
  }

  /** What a line must look like, with a description for failure messages. */
  public record Match(String what, Predicate<String> predicate) {
    public static Match contains(String text) {
      return new Match(text, line -> line.contains(text));
    }

    public static Match prefix(String prefix) {
      return new Match(prefix + "…", line -> line.startsWith(prefix));
    }

    /** A line in which {@code regex} is found (not necessarily the whole line). */
    public static Match regex(String regex) {
      return regex(Pattern.compile(regex));
    }

    public static Match regex(Pattern pattern) {
      return new Match("/" + pattern + "/", line -> pattern.matcher(line).find());
    }

    public static Match of(String what, Predicate<String> predicate) {
      return new Match(what, predicate);
    }

    public boolean test(String line) {
      return predicate.test(line);
    }

    @Override
    public String toString() {
      return what;
    }
  }

  /**
   * How to start a process. The environment is this JVM's minus {@code BOOTTORRENT_*} (a developer's
   * settings must not leak into a test's server) and minus surefire's libjsig {@code LD_PRELOAD}
   * (meant for the test JVM; {@link #java} puts it back for child JVMs), then {@link #env} on top.
   */
  public static final class Spec {
    private final List<String> command;
    private String name;
    private Path dir;
    private Path log;
    private Input input = Input.NULL;
    private boolean terminal;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Consumer<Running> onStart = r -> {};

    private Spec(List<String> command) {
      if (command.isEmpty()) {
        throw new IllegalArgumentException("empty command");
      }
      this.command = new ArrayList<>(command);
      this.name = Path.of(command.get(0)).getFileName().toString();
    }

    /** The name in failure messages and thread names (default: the program's file name). */
    public Spec name(String name) {
      this.name = name;
      return this;
    }

    public Spec dir(Path dir) {
      this.dir = dir;
      return this;
    }

    /** Also writes every line, timestamped like {@link Line#toString}, to {@code log} (folders created). */
    public Spec log(Path log) {
      this.log = log;
      return this;
    }

    public Spec input(Input input) {
      this.input = input;
      return this;
    }

    /** Sets {@code key} in the environment; {@code null} removes it. */
    public Spec env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Spec env(Map<String, String> variables) {
      env.putAll(variables);
      return this;
    }

    /**
     * For a serial console (QEMU): lines end at LF only, carriage returns and terminal escape
     * sequences (colours, cursor moves, resets) are dropped, so lines read as a person sees them.
     */
    public Spec terminal() {
      this.terminal = true;
      return this;
    }

    public List<String> command() {
      return List.copyOf(command);
    }

    /** For a lab: runs the command under {@code prefix} (e.g. {@code ip netns exec NS}). */
    Spec prefix(List<String> prefix) {
      command.addAll(0, prefix);
      return this;
    }

    /** For a lab: told of every process {@link #start} starts (not of {@link #exec}'s, which end there). */
    Spec onStart(Consumer<Running> listener) {
      onStart = onStart.andThen(listener);
      return this;
    }

    /** Starts the process; its output is read from now on. */
    public Running start() throws IOException {
      Running running = launch();
      onStart.accept(running);
      return running;
    }

    /**
     * Runs the process to completion: waits up to {@code timeout}, then kills it (and what it
     * started) and throws with the output so far. Interrupted, it kills the process too. A piped
     * input is closed at once: no one can write to it, and a child reading it must not wait.
     */
    public Result exec(Duration timeout) throws IOException, InterruptedException {
      Running running = launch();
      running.closeInput();
      return running.finish(timeout);
    }

    /** {@link #exec}, returning the output; throws with the output on a non-zero exit. */
    public String run(Duration timeout) throws IOException, InterruptedException {
      return exec(timeout).orThrow().output();
    }

    private Running launch() throws IOException {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectInput(input == Input.PIPE ? ProcessBuilder.Redirect.PIPE
              : ProcessBuilder.Redirect.from(new File("/dev/null")));
      if (dir != null) {
        builder.directory(dir.toFile());
      }
      Map<String, String> environment = builder.environment();
      environment.keySet().removeIf(k -> k.startsWith("BOOTTORRENT_"));
      if (environment.getOrDefault("LD_PRELOAD", "").contains("libjsig")) {
        environment.remove("LD_PRELOAD");
      }
      env.forEach((k, v) -> {
        if (v == null) {
          environment.remove(k);
        } else {
          environment.put(k, v);
        }
      });
      Writer logWriter = null;
      if (log != null) {
        Path parent = log.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        logWriter = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
      }
      long startNanos = System.nanoTime();
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        if (logWriter != null) {
          logWriter.close();
        }
        throw e;
      }
      return new Running(name, List.copyOf(command), process, startNanos, log, logWriter, input, terminal);
    }
  }

  /**
   * A started process and everything it printed so far. {@link #close} is {@link #stop} with
   * {@link Proc#GRACE}, for try-with-resources.
   */
  public static final class Running implements AutoCloseable {
    private static final Pattern TERMINAL_CONTROLS =
        Pattern.compile("\u001B\\[[0-?]*[ -/]*[@-~]|\u001B[()][0-9A-Za-z]|\u001B[78=>DEHMZc]");

    private final String name;
    private final List<String> command;
    private final Process process;
    private final long startNanos;
    private final Path log;
    private final Input input;
    private final boolean terminal;
    private final CompletableFuture<Long> exitNanos;
    private final Thread reader;
    /** Guarded by this: the lines so far, the raw output, whether the output ended. */
    private final List<Line> lines = new ArrayList<>();
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private boolean eof;
    /** Guarded by this: where {@link #awaitNext} continues. */
    private int cursor;
    /** What {@link #terminate} found below the process, killed with it by {@link #kill}. */
    private volatile List<ProcessHandle> tree = List.of();
    /** The log, touched by the reader only; dropped when it fails (the lines stay in memory). */
    private Writer logOut;

    private Running(String name, List<String> command, Process process, long startNanos, Path log, Writer logWriter,
        Input input, boolean terminal) {
      this.name = name;
      this.command = command;
      this.process = process;
      this.startNanos = startNanos;
      this.log = log;
      this.input = input;
      this.terminal = terminal;
      this.exitNanos = process.onExit().thenApply(p -> System.nanoTime());
      this.logOut = logWriter;
      this.reader = new Thread(this::read, "proc-" + name + "-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      boolean afterCr = false;
      byte[] buffer = new byte[8192];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          synchronized (this) {
            raw.write(buffer, 0, n);
          }
          for (int i = 0; i < n; i++) {
            byte b = buffer[i];
            if (afterCr) {
              afterCr = false;
              if (b == '\n') {
                continue; // CR LF is one line end
              }
            }
            if (b == '\n') {
              emit(line);
            } else if (b == '\r') {
              if (!terminal) { // like BufferedReader.readLine: a lone CR ends a line too
                emit(line);
                afterCr = true;
              }
            } else {
              line.write(b);
            }
          }
          writeLog(null);
        }
        if (line.size() > 0) {
          emit(line);
        }
      } catch (IOException ended) {
        // the process is gone
      } finally {
        if (logOut != null) {
          try {
            logOut.close();
          } catch (IOException ignored) {
            // the lines are in memory
          }
        }
        synchronized (this) {
          eof = true;
          notifyAll();
        }
      }
    }

    private void emit(ByteArrayOutputStream bytes) {
      String text = bytes.toString(StandardCharsets.UTF_8);
      bytes.reset();
      if (terminal) {
        text = TERMINAL_CONTROLS.matcher(text).replaceAll("");
      }
      Line line;
      synchronized (this) {
        line = new Line(lines.size(), (System.nanoTime() - startNanos) / 1e9, text);
        lines.add(line);
        notifyAll();
      }
      writeLog(line);
    }

    /** Writes {@code line} to the log, or flushes it ({@code null}); a failing log is dropped, reading goes on. */
    private void writeLog(Line line) {
      if (logOut == null) {
        return;
      }
      try {
        if (line == null) {
          logOut.flush();
        } else {
          logOut.write(line + "\n");
        }
      } catch (IOException e) {
        System.err.println("Proc: log " + log + " failed, lines stay in memory only: " + e);
        try {
          logOut.close();
        } catch (IOException ignored) {
          // dropped anyway
        }
        logOut = null;
      }
    }

    public String name() {
      return name;
    }

    public List<String> command() {
      return command;
    }

    public Process process() {
      return process;
    }

    public long pid() {
      return process.pid();
    }

    /** {@link System#nanoTime} just before the start: puts two processes' line times on one clock. */
    public long startNanos() {
      return startNanos;
    }

    public Optional<Path> log() {
      return Optional.ofNullable(log);
    }

    public boolean isAlive() {
      return process.isAlive();
    }

    public synchronized List<Line> lines() {
      return List.copyOf(lines);
    }

    /** The output exactly as written (stdout and stderr merged). */
    public synchronized String output() {
      return raw.toString(StandardCharsets.UTF_8);
    }

    /** The lines, each followed by a newline (cleaned, for {@link Spec#terminal}). */
    public synchronized String text() {
      return lines.stream().map(l -> l.text() + "\n").collect(Collectors.joining());
    }

    public synchronized Optional<Line> first(Predicate<String> matches) {
      return lines.stream().filter(l -> matches.test(l.text())).findFirst();
    }

    /** The last {@code n} lines, timestamped. */
    public synchronized String tail(int n) {
      return lines.subList(Math.max(0, lines.size() - n), lines.size()).stream()
          .map(l -> l + "\n").collect(Collectors.joining());
    }

    /** {@link #await(Match, Duration, Match...)} for a line containing {@code text}; failures are substrings too. */
    public Line await(String text, Duration timeout, String... failures) throws InterruptedException {
      return await(Match.contains(text), timeout, Arrays.stream(failures).map(Match::contains).toArray(Match[]::new));
    }

    /**
     * The first line (from the start of the output) that {@code wanted} matches, waiting up to
     * {@code timeout}. Fails at once, with the whole output so far, when a line matching one of
     * {@code failures} comes before it, or when the process ends (or closes its output) without it;
     * and so on timeout.
     */
    public Line await(Match wanted, Duration timeout, Match... failures) throws InterruptedException {
      return awaitFrom(0, wanted, timeout, failures);
    }

    /** Like {@link #await}, but only lines after {@code previous} ({@code null}: from the start) count. */
    public Line awaitAfter(Line previous, Match wanted, Duration timeout, Match... failures)
        throws InterruptedException {
      return awaitFrom(previous == null ? 0 : previous.index() + 1, wanted, timeout, failures);
    }

    /**
     * Like {@link #await}, but only lines after the one the previous {@code awaitNext} returned count:
     * waiting twice for the same line (udhcpc's "lease of", before and after a renew) finds two.
     */
    public Line awaitNext(Match wanted, Duration timeout, Match... failures) throws InterruptedException {
      int from;
      synchronized (this) {
        from = cursor;
      }
      Line line = awaitFrom(from, wanted, timeout, failures);
      synchronized (this) {
        cursor = Math.max(cursor, line.index() + 1);
      }
      return line;
    }

    private synchronized Line awaitFrom(int from, Match wanted, Duration timeout, Match[] failures)
        throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      long diedAt = 0;
      int checked = 0;
      while (true) {
        for (; checked < lines.size(); checked++) {
          Line line = lines.get(checked);
          if (checked >= from && wanted.test(line.text())) {
            return line;
          }
          // a failure before the line waited after was the previous step's to see (or expected)
          for (Match failure : checked >= from ? failures : new Match[0]) {
            if (failure.test(line.text())) {
              throw failed("printed '" + failure + "' before '" + wanted + "' (line " + line.index() + ")");
            }
          }
        }
        if (eof) {
          process.waitFor(1, TimeUnit.SECONDS); // the output ends just before the exit is reaped
          throw failed((process.isAlive() ? "closed its output" : "exited (" + process.exitValue() + ")")
              + " without printing '" + wanted + "'");
        }
        long now = System.nanoTime();
        if (!process.isAlive()) {
          diedAt = diedAt == 0 ? now : diedAt;
          if (now - diedAt > TimeUnit.SECONDS.toNanos(2)) { // a child it left holds the pipe: no more lines
            throw failed("exited (" + process.exitValue() + ") without printing '" + wanted + "'");
          }
        }
        if (now >= deadline) {
          throw failed("did not print '" + wanted + "' within " + seconds(timeout) + " s");
        }
        wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(deadline - now), 100)));
      }
    }

    private AssertionError failed(String what) {
      return new AssertionError(name + " " + what + (log == null ? "" : " (log: " + log + ")")
          + "; output so far:\n" + tail(Integer.MAX_VALUE));
    }

    /** The process's standard input, for {@link Input#PIPE} (with {@link Input#NULL} writes fail). */
    public OutputStream input() {
      return process.getOutputStream();
    }

    /** Closes standard input: EOF, the gentlest request to end (a child JVM of {@link Proc#java} may watch it). */
    public void closeInput() {
      try {
        process.getOutputStream().close();
      } catch (IOException ignored) {
        // already gone
      }
    }

    /** Sends {@code signal} (e.g. "USR1", "HUP") to the process, with kill(1). */
    public void signal(String signal) throws IOException, InterruptedException {
      if (!signal.matches("[A-Z0-9]+")) {
        throw new IllegalArgumentException("a signal name or number, without SIG: " + signal);
      }
      run(Gate.which("kill").map(Path::toString).orElse("kill"), "-" + signal, Long.toString(process.pid()));
    }

    public boolean waitFor(Duration timeout) throws InterruptedException {
      return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Waits up to {@code timeout} for the exit and returns the result, elapsed time measured from
     * start to exit (so runs started together are timed fairly). On timeout or interrupt it kills the
     * process and what it started, and throws — on timeout with the output so far.
     */
    public Result finish(Duration timeout) throws IOException, InterruptedException {
      try {
        if (!waitFor(timeout)) {
          kill();
          process.waitFor(5, TimeUnit.SECONDS);
          drain(Duration.ofSeconds(2));
          // the output first, the command (a JVM's classpath runs to kilobytes) last: a CI excerpt keeps the head
          throw new IOException(this + " did not finish in " + seconds(timeout) + " s (killed)"
              + (log == null ? "" : " (log: " + log + ")") + "; its last 80 lines:\n" + tail(80) + "command: "
              + abbreviated(command));
        }
      } catch (InterruptedException e) {
        kill();
        throw e;
      }
      drain(DRAIN);
      long end = exitNanos.join();
      return new Result(command, process.exitValue(), output(), Duration.ofNanos(end - startNanos));
    }

    /**
     * Ends the process: a piped input is closed and the process given {@code grace} to exit on
     * that EOF; then SIGTERM to it and what it started, and after {@code grace} SIGKILL to whatever
     * is left. Never throws; an interrupt is kept for the caller.
     */
    public void stop(Duration grace) {
      boolean interrupted = Thread.interrupted();
      try {
        if (endInput() && awaitGone(System.nanoTime() + grace.toNanos())) {
          drain(Duration.ofSeconds(2));
          return;
        }
        terminate();
        if (!awaitGone(System.nanoTime() + grace.toNanos())) {
          kill();
          awaitGone(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        }
        drain(Duration.ofSeconds(2));
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void close() {
      stop(GRACE);
    }

    /** Step one of {@link #stop}: EOF on a piped input; whether there was one and the process still runs. */
    boolean endInput() {
      if (input != Input.PIPE) {
        return false;
      }
      closeInput();
      return process.isAlive();
    }

    /** Step two of {@link #stop}: SIGTERM to the process and its descendants. */
    void terminate() {
      if (process.isAlive()) {
        tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
      }
    }

    /** SIGKILL to the process and every descendant, known before or found now. */
    void kill() {
      List<ProcessHandle> all = new ArrayList<>(tree);
      process.descendants().forEach(all::add);
      all.forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }

    /** Whether the process and its known descendants are gone by {@code deadlineNanos}; never throws. */
    boolean awaitGone(long deadlineNanos) {
      List<ProcessHandle> all = new ArrayList<>(tree);
      all.add(process.toHandle());
      boolean interrupted = false;
      try {
        for (ProcessHandle handle : all) {
          boolean ours = handle.pid() == process.pid();
          // our child counts as gone once reaped (exitValue() works then), any other once a zombie
          while (ours ? process.isAlive() : running(handle)) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
              return false;
            }
            try {
              if (ours) {
                process.waitFor(left, TimeUnit.NANOSECONDS);
              } else {
                // not our child: its onExit() is a slow poll, a short sleep is quicker
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 20));
              }
            } catch (InterruptedException e) {
              interrupted = true;
            }
          }
        }
        return true;
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /** Lets the reader take what is still in the pipe. */
    void drain(Duration timeout) {
      try {
        reader.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String toString() {
      return name + " (pid " + process.pid() + ")";
    }
  }

  /** The command as one line, each argument cut to 200 characters (a classpath would fill a failure's excerpt). */
  static String abbreviated(List<String> command) {
    return command.stream().map(a -> a.length() <= 200 ? a : a.substring(0, 200) + "…(" + a.length() + " chars)")
        .collect(Collectors.joining(" "));
  }

  /**
   * Whether {@code handle} still runs. A zombie does not: an orphan (a shell's child) waits for its
   * new parent to reap it, which some init processes do only every few seconds.
   */
  static boolean running(ProcessHandle handle) {
    if (!handle.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException | RuntimeException e) {
      return handle.isAlive(); // no procfs (not Linux) or already gone
    }
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : String.format(Locale.ROOT, "%.1f", d.toMillis() / 1e3);
  }
}
