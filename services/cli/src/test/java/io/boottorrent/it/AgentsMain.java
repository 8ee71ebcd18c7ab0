package io.boottorrent.it;

import io.boottorrent.agent.AgentOptions;
import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.AgentVerticle;
import io.boottorrent.core.BootVertx;
import io.boottorrent.core.config.BtConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Agents as a child JVM, for tests that run them inside a network namespace (a JVM cannot move
 * itself into one): {@code AgentsMain <agent section JSON file> <count> <work dir>} deploys
 * {@code count} agents in one Vert.x, as {@link Stack#agent} does in the test JVM (16 agent JVMs
 * are too heavy for two cores), agent {@code i} with MAC {@code 02:00:00:5c:00:<i>} and work dir
 * {@code <work dir>/agent-<i>}. The file holds what the test changes; the embedded defaults hold
 * the rest. The agents' consoles go to standard output (lines {@code [<mac> +<s>] …}, e.g.
 * {@code waiting for start gate}, progress, {@code downloaded:}). Then it prints {@code AGENT <i>
 * <download ms> <bytes from peers> <bytes from web seeds> <bytes uploaded> <image dir>} per agent, then {@code ALL <wall ms>}, and exits; {@code FAILED
 * <message>} and exit code 1 if an agent failed.
 */
public final class AgentsMain {
  private AgentsMain() {}

  public static void main(String[] args) throws Exception {
    JsonObject section = BtConfig.defaults().getJsonObject("agent")
        .mergeIn(new JsonObject(Files.readString(Path.of(args[0]))));
    int count = Integer.parseInt(args[1]);
    Path work = Path.of(args[2]);
    Vertx vertx = BootVertx.standalone();
    int exit = 0;
    try {
      long start = System.nanoTime();
      List<Future<AgentResult>> runs = new ArrayList<>();
      for (int i = 1; i <= count; i++) {
        JsonObject cfg = section.copy().put("mac", String.format("02:00:00:5c:00:%02x", i))
            .put("workDir", work.resolve("agent-" + i).toString());
        AgentVerticle agent = new AgentVerticle(AgentOptions.fromSection(cfg), null, System.out);
        runs.add(vertx.deployVerticle(agent).compose(id -> agent.result()));
      }
      List<AgentResult> results = Future.all(runs).await().list();
      long wall = (System.nanoTime() - start) / 1_000_000;
      for (int i = 0; i < results.size(); i++) {
        AgentResult r = results.get(i);
        System.out.printf("AGENT %d %d %d %d %d %s%n", i + 1, r.downloadMillis(), r.bytesFromSwarm(),
            r.bytesFromWebSeed(), r.bytesUploaded(), r.imageDir());
      }
      System.out.println("ALL " + wall);
    } catch (RuntimeException e) {
      System.out.println("FAILED " + e);
      exit = 1;
    } finally {
      System.out.flush();
      vertx.close().await();
    }
    System.exit(exit);
  }
}
