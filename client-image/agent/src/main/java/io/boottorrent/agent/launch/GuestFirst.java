package io.boottorrent.agent.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Lowers the agent's own CPU priority once the OS it launched (qemu, exec) runs as its child: the
 * guest's boot comes first, and the agent's download, hashing and seeding take the CPU the guest
 * leaves. The child was started at the agent's priority and keeps it; raising nice needs no
 * privilege. Linux's nice is per thread, so every thread of the agent is reniced (threads started
 * later inherit it from the thread that starts them). The JDK has no setpriority: this runs the
 * system's {@code renice} (util-linux, or busybox in the client image) with an absolute priority, the
 * one form both read alike. Blocking: call it from a worker.
 */
public final class GuestFirst {
  private GuestFirst() {}

  /**
   * Renices every thread of this process to {@code nice} (1–19) unless it already runs at that nice
   * or a higher one (never raising its priority); returns what was done, for the console.
   *
   * @throws IOException naming the command and its output when renice is missing or fails
   */
  public static String lower(int nice) throws IOException, InterruptedException {
    return lower(nice, Path.of("/proc/self"));
  }

  /** As {@link #lower(int)} for the process whose /proc directory is {@code proc}. */
  static String lower(int nice, Path proc) throws IOException, InterruptedException {
    Path tasks = proc.resolve("task");
    if (nice < 1 || nice > 19) {
      throw new IllegalArgumentException("nice " + nice + " is outside 1..19");
    }
    if (!Files.isDirectory(tasks)) {
      throw new IOException(tasks + " is missing: not Linux, the agent's priority is unchanged");
    }
    int current = niceOf(proc.resolve("stat"));
    if (current >= nice) {
      return "already at nice " + current;
    }
    List<String> command = new ArrayList<>(List.of("renice", Integer.toString(nice), "-p"));
    try (Stream<Path> ids = Files.list(tasks)) {
      ids.map(t -> t.getFileName().toString()).sorted().forEach(command::add);
    }
    int threads = command.size() - 3;
    Process renice;
    try {
      renice = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot run renice (" + e.getMessage() + ")", e);
    }
    if (!renice.waitFor(10, TimeUnit.SECONDS)) {
      renice.destroyForcibly();
      throw new IOException("renice did not finish in 10 s");
    }
    String output = new String(renice.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    // a thread that ended meanwhile fails its renice ("No such process"): only the rest matter
    if (renice.exitValue() != 0 && output.lines().anyMatch(l -> l.startsWith("renice:") && !l.contains("No such process"))) {
      throw new IOException("renice " + nice + " failed with " + renice.exitValue() + ": " + output);
    }
    return "nice " + current + " -> " + nice + " for " + threads + " thread(s)";
  }

  /** Field 19 of a /proc stat line (the command in field 2 may hold spaces and parentheses). */
  static int niceOf(Path stat) throws IOException {
    String line = Files.readString(stat, StandardCharsets.UTF_8);
    return niceOfStatLine(line);
  }

  static int niceOfStatLine(String line) {
    String[] rest = line.substring(line.lastIndexOf(')') + 2).split(" ");
    // rest[0] is field 3 (state): field 19 is rest[16]
    return Integer.parseInt(rest[16]);
  }
}
