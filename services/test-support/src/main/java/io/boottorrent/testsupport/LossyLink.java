package io.boottorrent.testsupport;

import io.boottorrent.testsupport.NetnsLab.Ns;
import io.boottorrent.testsupport.Proc.Running;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Packet loss and jitter inside one namespace of a {@link NetnsLab}, for the fault tests. The kernel
 * here has no netem (no {@code tc qdisc … netem}, no {@code tc … action gact}), so iptables rules
 * ({@link #queue}) hand the chosen packets to {@code lossy-link.py} over NFQUEUE, which drops each
 * one with probability {@code loss} or lets it go after a delay drawn uniformly from
 * {@code 0..jitterMs}, per packet and independently (packets overtake each other, as with netem's
 * jitter), from a fixed seed. A queue may count as several links ({@code hops}): a packet from one
 * agent to another in the same namespace crosses both machines' links, so it is dropped or delayed
 * once per hop.
 *
 * <p>Rules belong where the packet is received, where possible ({@code INPUT}): a packet held in the
 * queue there is no longer charged to the sending socket, so TCP's small-queue limit does not slow
 * the sender beyond what the delay does (netem has the same caveat on a sender's egress).
 */
public final class LossyLink implements AutoCloseable {
  private static final Pattern STATS =
      Pattern.compile("stats queue=(\\d+) seen=(\\d+) dropped=(\\d+) delay_ms_sum=(\\d+)");
  private static final String IPTABLES = Gate.which("iptables").map(Path::toString).orElse("iptables");

  private final Ns ns;
  private final Running program;
  private final List<List<String>> rules = new ArrayList<>();

  private LossyLink(Ns ns, Running program) {
    this.ns = ns;
    this.program = program;
  }

  /** Skips (or, where required, fails) unless iptables and python3 are here. */
  public static void require() {
    Gate.requireCommand("iptables", "iptables");
    Gate.requireCommand("python3", "python3");
  }

  /**
   * Starts the program in {@code ns} for the NFQUEUE numbers in {@code hopsByQueue} (queue → links a
   * packet of it crosses), logging to {@code log}. No packet is touched until {@link #queue} adds a rule.
   */
  public static LossyLink start(Ns ns, double loss, int jitterMs, long seed, Map<Integer, Integer> hopsByQueue, Path log)
      throws IOException, InterruptedException {
    Path script = log.resolveSibling("lossy-link.py");
    try (InputStream in = LossyLink.class.getResourceAsStream("lossy-link.py")) {
      if (in == null) {
        throw new UncheckedIOException(new IOException("lossy-link.py missing from test-support's resources"));
      }
      Files.write(script, in.readAllBytes());
    }
    List<String> command = new ArrayList<>(List.of(Gate.which("python3").orElseThrow().toString(), script.toString(),
        Double.toString(loss), Integer.toString(jitterMs), Long.toString(seed)));
    hopsByQueue.forEach((queue, hops) -> command.add(queue + ":" + hops));
    Running program = ns.command(command).name("lossy-link-" + ns.name()).log(log).input(Proc.Input.PIPE).start();
    program.await("ready", Duration.ofSeconds(20), "Error", "Traceback");
    return new LossyLink(ns, program);
  }

  /** Appends {@code iptables -A <chain> <match…> -j NFQUEUE --queue-num <queue>}; {@link #clear} removes it. */
  public LossyLink queue(int queue, String chain, String... match) throws IOException, InterruptedException {
    List<String> rule = new ArrayList<>(List.of(chain));
    rule.addAll(List.of(match));
    rule.addAll(List.of("-j", "NFQUEUE", "--queue-num", Integer.toString(queue)));
    iptables("-A", rule);
    rules.add(rule);
    return this;
  }

  /** Appends {@code iptables -A <chain> <match…> -j ACCEPT}: packets the later rules must not queue. */
  public LossyLink pass(String chain, String... match) throws IOException, InterruptedException {
    List<String> rule = new ArrayList<>(List.of(chain));
    rule.addAll(List.of(match));
    rule.addAll(List.of("-j", "ACCEPT"));
    iptables("-A", rule);
    rules.add(rule);
    return this;
  }

  /** Removes every rule this link added: the namespace's packets flow untouched again (the program stays). */
  public void clear() throws IOException, InterruptedException {
    for (List<String> rule : rules) {
      iptables("-D", rule);
    }
    rules.clear();
  }

  private void iptables(String op, List<String> rule) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(IPTABLES, "-w", op));
    command.addAll(rule);
    ns.run(command.toArray(String[]::new));
  }

  /** Packets the program has seen, dropped and delayed on {@code queue} so far (asked for, then read). */
  public Counts counts(int queue) throws IOException, InterruptedException {
    int before = program.lines().size();
    program.input().write("stats\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    program.input().flush();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (program.lines().stream().skip(before).noneMatch(l -> l.text().startsWith("stats queue=" + queue + " "))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("lossy-link in " + ns + " did not report its counts: " + program.tail(20));
      }
      Thread.sleep(10);
    }
    Counts last = new Counts(0, 0, 0);
    for (Proc.Line line : program.lines()) {
      Matcher m = STATS.matcher(line.text());
      if (m.find() && Integer.parseInt(m.group(1)) == queue) {
        last = new Counts(Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)));
      }
    }
    return last;
  }

  /** What a queue's program reported: packets seen, dropped, and the sum of the delays given to the others. */
  public record Counts(long seen, long dropped, long delayMsSum) {
    public Counts minus(Counts before) {
      return new Counts(seen - before.seen, dropped - before.dropped, delayMsSum - before.delayMsSum);
    }

    public Counts plus(Counts other) {
      return new Counts(seen + other.seen, dropped + other.dropped, delayMsSum + other.delayMsSum);
    }

    public double lossRate() {
      return seen == 0 ? 0 : (double) dropped / seen;
    }

    public double meanDelayMs() {
      return seen == dropped ? 0 : (double) delayMsSum / (seen - dropped);
    }

    @Override
    public String toString() {
      return String.format("%d packets, %d dropped (%.1f%%), mean delay %.1f ms", seen, dropped, 100 * lossRate(),
          meanDelayMs());
    }
  }

  /** Removes the rules, then ends the program (which first lets go of the packets it holds). */
  @Override
  public void close() {
    try {
      clear();
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("LossyLink: could not remove the rules in " + ns + ": " + e);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
    program.stop(Duration.ofSeconds(5));
  }
}
