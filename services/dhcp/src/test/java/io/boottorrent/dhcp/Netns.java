package io.boottorrent.dhcp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A test lab of network namespaces: a server namespace and a client namespace joined by a veth pair,
 * with addresses only in 10.213.0.0/16, created and torn down by the root-only tests. Nothing here
 * touches the host's own interfaces, routes or addresses.
 */
final class Netns implements AutoCloseable {
  final String server;
  final String client;
  final String serverIf;
  final String clientIf;
  private final List<Process> processes = new ArrayList<>();

  /**
   * Creates both namespaces and the veth pair; the server end gets {@code serverCidr} (e.g.
   * 10.213.77.1/24), the client end the MAC {@code clientMac} and no address.
   */
  Netns(String serverCidr, String clientMac) throws IOException, InterruptedException {
    String tag = Long.toHexString(ProcessHandle.current().pid()) + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000));
    server = "btdhcp-s-" + tag;
    client = "btdhcp-c-" + tag;
    String ifTag = tag.length() > 9 ? tag.substring(tag.length() - 9) : tag;
    serverIf = "bts" + ifTag;
    clientIf = "btc" + ifTag;
    try {
      run("ip", "netns", "add", server);
      run("ip", "netns", "add", client);
      run("ip", "link", "add", serverIf, "type", "veth", "peer", "name", clientIf);
      run("ip", "link", "set", serverIf, "netns", server);
      run("ip", "link", "set", clientIf, "netns", client);
      run("ip", "-n", client, "link", "set", clientIf, "address", clientMac);
      run("ip", "-n", server, "addr", "add", serverCidr, "brd", "+", "dev", serverIf);
      run("ip", "-n", server, "link", "set", "lo", "up");
      run("ip", "-n", server, "link", "set", serverIf, "up");
      run("ip", "-n", client, "link", "set", "lo", "up");
      run("ip", "-n", client, "link", "set", clientIf, "up");
      // The server JVM binds 0.0.0.0: its limited broadcasts follow this route, i.e. into the veth.
      run("ip", "-n", server, "route", "add", "255.255.255.255/32", "dev", serverIf);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  static boolean hasCommand(String path) {
    return java.nio.file.Files.isExecutable(Path.of(path));
  }

  /** Runs a command to completion (30 s at most); returns its output; fails on a non-zero exit. */
  static String run(String... command) throws IOException, InterruptedException {
    Result result = exec(30, command);
    if (result.exit() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + result.exit() + ": " + result.output());
    }
    return result.output();
  }

  record Result(int exit, String output) {}

  static Result exec(int timeoutSeconds, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out;
    boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
    }
    out = p.getInputStream().readAllBytes();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Runs {@code command} inside namespace {@code ns}, to completion. */
  Result inNs(String ns, int timeoutSeconds, String... command) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(command));
    return exec(timeoutSeconds, full.toArray(String[]::new));
  }

  /** A long-running process inside {@code ns}, its output lines queued; ended by {@link #close}. */
  Started start(String ns, String... command) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(command));
    Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
    processes.add(p);
    Started started = new Started(p, new LinkedBlockingQueue<>(), new StringBuffer());
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          started.lines().add(line);
          started.all().append(line).append('\n');
        }
      } catch (IOException ignored) {
        // process ended
      }
    }, "netns-output");
    reader.setDaemon(true);
    reader.start();
    return started;
  }

  record Started(Process process, BlockingQueue<String> lines, StringBuffer all) {
    /** The next output line starting with {@code prefix}, waiting up to {@code seconds}. */
    String awaitLine(String prefix, int seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < deadline) {
        String line = lines.poll(100, TimeUnit.MILLISECONDS);
        if (line != null && line.startsWith(prefix)) {
          return line;
        }
        if (line == null && !process.isAlive() && lines.isEmpty()) {
          break;
        }
      }
      throw new AssertionError("no line starting with '" + prefix + "' within " + seconds + " s; output:\n" + all);
    }
  }

  /** Starts the DHCP server JVM inside the server namespace with {@code configFile}. */
  Started startServer(Path configFile) throws IOException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return start(server, java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", classpath,
        NetnsServerMain.class.getName(), configFile.toString());
  }

  /** Ends every started process (by its own id), then deletes both namespaces (and so the veth pair). */
  @Override
  public void close() {
    for (Process p : processes) {
      try {
        p.getOutputStream().close(); // the server JVM exits when its stdin closes
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroy();
          if (!p.waitFor(3, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        }
      } catch (IOException | InterruptedException e) {
        p.destroyForcibly();
      }
    }
    for (String ns : List.of(client, server)) {
      if (ns == null) {
        continue;
      }
      try {
        // Any process still in the namespace (a daemonized dhclient) is ended by its pid.
        Result pids = exec(10, "ip", "netns", "pids", ns);
        for (String pid : pids.output().trim().split("\\s+")) {
          if (!pid.isBlank()) {
            exec(5, "kill", "-TERM", pid);
          }
        }
        exec(10, "ip", "netns", "del", ns);
      } catch (IOException | InterruptedException e) {
        System.err.println("could not delete namespace " + ns + ": " + e.getMessage());
      }
    }
  }
}
