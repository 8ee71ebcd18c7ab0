package io.boottorrent.agent.cli;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.AgentVerticle;
import io.boottorrent.agent.AgentOptions;
import io.boottorrent.core.BootVertx;
import io.boottorrent.core.config.BtConfig;
import io.boottorrent.core.config.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code agent}: runs the client agent once: menu, swarm download, verification, launch. One class for
 * both jars: the {@code boottorrent} command's subcommand and the client image's agent jar
 * ({@link AgentMain}).
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = "Boot this machine through BootTorrent (the client image runs this).")
public final class AgentCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, description = "YAML config file (agent.* keys).") Path config;
  @Option(names = "--catalog", description = "Catalog URL, e.g. http://10.0.0.1:8080") String catalog;
  @Option(names = "--mac", description = "This machine's MAC (default: first interface's)") String mac;
  @Option(names = "--launcher", description = "auto, none, kexec, qemu, exec") String launcher;
  @Option(names = "--image", description = "Boot this image without the menu") String image;
  @Option(names = "--work-dir", description = "Where the image is downloaded") Path workDir;
  @Option(names = "--seed-seconds", description = "Seed this long after verification") Integer seedSeconds;
  @Option(names = "--non-interactive", description = "Do not read keys; the countdown decides") boolean nonInteractive;
  @Option(names = "--piece-stripe", paramLabel = "I/K",
      description = "Ask for stripe I of K of the image's pieces first (agent.pieceStripe): give each of K "
          + "machines booting together a different I") String pieceStripe;
  @Option(names = "--start-gate", paramLabel = "FILE",
      description = "Start barrier: get ready, then start downloading only once FILE exists (agent.startGate)")
  Path startGate;
  @Option(names = "--catalog-cert-sha256", paramLabel = "HEX",
      description = "With an https --catalog: accept only the catalog certificate with this SHA-256 "
          + "(agent.catalogCertSha256)") String catalogCert;
  @Option(names = "--trusted-keys", paramLabel = "KEYS",
      description = "Refuse images not signed by these keys: comma-separated fingerprints and/or PEM files "
          + "(agent.trustedKeys)") String trustedKeys;

  @Option(names = "--streaming", paramLabel = "MODE",
      description = "qemu images: boot while downloading: auto (the image's setting, else by size), on, off "
          + "(agent.streaming)") String streaming;

  @Override
  public Integer call() {
    JsonObject cfg;
    try {
      cfg = BtConfig.load(config, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("error: bad config: " + e.getMessage());
      return 2;
    }
    JsonObject agent = cfg.getJsonObject("agent");
    if (catalog != null) agent.put("catalogUrl", catalog);
    if (mac != null) agent.put("mac", mac);
    if (launcher != null) agent.put("launcher", launcher);
    if (image != null) agent.put("image", image);
    if (workDir != null) agent.put("workDir", workDir.toAbsolutePath().toString());
    if (seedSeconds != null) agent.put("seedSeconds", seedSeconds);
    if (nonInteractive) agent.put("interactive", false);
    if (pieceStripe != null) agent.put("pieceStripe", pieceStripe);
    if (startGate != null) agent.put("startGate", startGate.toAbsolutePath().toString());
    if (trustedKeys != null) agent.put("trustedKeys", trustedKeys);
    if (catalogCert != null) agent.put("catalogCertSha256", catalogCert);
    if (streaming != null) agent.put("streaming", streaming);
    AgentOptions options;
    try {
      options = AgentOptions.fromSection(agent);
    } catch (ConfigException e) {
      System.err.println("error: bad config: " + e.getMessage());
      return 2;
    }
    // The agent talks HTTP to the catalog; it never joins the cluster.
    Vertx vertx = BootVertx.standalone();
    try {
      AgentVerticle verticle = new AgentVerticle(options);
      vertx.deployVerticle(verticle).await();
      AgentResult result = verticle.result().await();
      System.out.printf("booted %s with %s: %d bytes, %.1f s download, %d bytes from peers, %d uploaded%n",
          result.image(), result.launcher(), result.bytesTotal(), result.downloadMillis() / 1000.0,
          result.bytesFromSwarm(), result.bytesUploaded());
      return result.exitCode();
    } catch (RuntimeException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    } finally {
      closeWithin(vertx, CLOSE_TIMEOUT);
    }
  }

  /** How long the agent waits for Vert.x (its swarm session, its reporter) to close before it exits anyway. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Closes {@code vertx}, waiting at most {@code timeout}: the result is decided and the caller exits the
   * JVM, so a close that hangs (a libtorrent session stuck on a full disk) must not hold the machine's boot.
   */
  static void closeWithin(Vertx vertx, Duration timeout) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      System.err.println("warning: the agent did not shut down in " + timeout.toSeconds() + " s; exiting anyway");
    } catch (ExecutionException e) {
      System.err.println("warning: shutting down: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
