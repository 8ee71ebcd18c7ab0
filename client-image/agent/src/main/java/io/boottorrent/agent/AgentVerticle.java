package io.boottorrent.agent;

import io.boottorrent.agent.launch.Launchers;
import io.boottorrent.agent.launch.ProcessLauncher;
import io.boottorrent.common.BtConfig;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.swarm.PieceStripe;
import io.boottorrent.swarm.SwarmSession;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-side agent: asks the catalog what this machine boots, shows the menu, fetches the image
 * through the swarm, verifies it against the manifest and hands it to a launcher, reporting every
 * stage as a {@link BootEvent}. Deploying it starts one boot; {@link #result()} tells how it went.
 */
public class AgentVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AgentVerticle.class);
  /** How often a closed start gate (agent.startGate) is looked at. */
  static final long START_GATE_POLL_MS = 20;

  private final InputStream console;
  private final PrintStream out;
  private final Promise<AgentResult> result = Promise.promise();
  private AgentOptions options;
  private CatalogClient catalog;
  private EventReporter reporter;
  private SwarmSession session;
  private long startedAt;
  /** When the download began: before the session starts, or when the start gate opened. */
  private long downloadStart;

  /** An agent on the process's console (stdin for keys, stdout for the menu and progress). */
  public AgentVerticle() {
    this(System.in, System.out);
  }

  public AgentVerticle(InputStream console, PrintStream out) {
    this.console = console;
    this.out = out;
  }

  public Future<AgentResult> result() {
    return result.future();
  }

  @Override
  public Future<?> start() {
    try {
      options = AgentOptions.fromConfig(BtConfig.section(config(), "agent"));
      options.seeding(); // refuses a bad seeding policy now, not after the download
      catalog = new CatalogClient(vertx, options.catalogUrl());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    reporter = new EventReporter(vertx, catalog);
    startedAt = System.currentTimeMillis();
    say("agent %s for %s, catalog %s", options.nodeId(), options.mac(), options.catalogUrl());
    event(BootStage.AGENT_STARTED, null, "agent started");
    // The boot runs after deployment completes: a menu may wait for a human for a long time.
    context.runOnContext(v -> boot().onComplete(ar -> {
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        String reason = ar.cause().getMessage() == null ? ar.cause().toString() : ar.cause().getMessage();
        say("boot failed: %s", reason);
        LOG.debug("boot failed", ar.cause());
        event(BootStage.FAILED, null, reason);
        reporter.flush().onComplete(x -> result.tryFail(ar.cause()));
      }
    }));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    Future<Void> closed = session == null ? Future.succeededFuture() : session.close();
    return closed.eventually(() -> {
      catalog.close();
      return Future.succeededFuture();
    });
  }

  private Future<AgentResult> boot() {
    return catalog.assignment(options.mac()).compose(assignment -> choose(assignment)
        .compose(name -> catalog.image(name).compose(image ->
            catalog.torrent(name).compose(torrent -> fetch(image, torrent, stripeFor(options, assignment))))));
  }

  /**
   * The piece stripe to ask for first: this machine's own setting (agent.pieceStripe), else the one
   * its group rule hands out (BootAssignment stripe_index/stripe_count), else none.
   */
  static PieceStripe stripeFor(AgentOptions options, BootAssignment assignment) {
    if (options.pieceStripe() != null) {
      return options.pieceStripe();
    }
    if (assignment == null || assignment.getStripeCount() <= 0) {
      return null;
    }
    try {
      return new PieceStripe(assignment.getStripeIndex(), assignment.getStripeCount());
    } catch (IllegalArgumentException e) {
      LOG.warn("ignoring the catalog's piece stripe: {}", e.getMessage());
      return null;
    }
  }

  private Future<String> choose(BootAssignment assignment) {
    if (!options.image().isBlank()) {
      event(BootStage.IMAGE_CHOSEN, options.image(), "configured on this machine");
      return Future.succeededFuture(options.image());
    }
    if (assignment.getSkipMenu()) {
      event(BootStage.IMAGE_CHOSEN, assignment.getDefaultImage(), "assigned (" + assignment.getMatchedRule() + ")");
      return Future.succeededFuture(assignment.getDefaultImage());
    }
    MenuModel menu = MenuModel.of(assignment);
    event(BootStage.MENU_SHOWN, menu.items().get(menu.selected()),
        "menu " + menu.items() + ", " + menu.remainingSeconds() + " s");
    return new ConsoleMenu(vertx, options.interactive() ? console : null, out).show(menu)
        .onSuccess(name -> event(BootStage.IMAGE_CHOSEN, name,
            name.equals(assignment.getDefaultImage()) ? "default" : "chosen from the menu"));
  }

  private Future<AgentResult> fetch(ImageManifest image, byte[] torrent, PieceStripe stripe) {
    Path imageDir = options.workDir().resolve(image.getName());
    boolean fallback = options.webSeedFallbackSeconds() > 0;
    SwarmSession.Options swarm = swarmOptions(options);
    downloadStart = System.currentTimeMillis();
    return vertx.executeBlocking(() -> Files.createDirectories(options.workDir()))
        .compose(v -> SwarmSession.start(vertx, swarm))
        .compose(s -> {
          session = s;
          return startGate();
        })
        // Web seeds stay out until the swarm stalls: the server's HTTP link is the bottleneck we avoid.
        .compose(v -> session.add(torrent, options.workDir(), new SwarmSession.AddOptions(0, !fallback, stripe)))
        .compose(hash -> {
          event(BootStage.DOWNLOAD_STARTED, image, "listening on port " + session.listenPort()
              + (stripe == null ? "" : ", piece stripe " + stripe + " first"), null);
          Progress progress = new Progress(image, hash, fallback);
          long timer = vertx.setPeriodic(options.progressIntervalMs(), id -> progress.tick());
          return session.finished(hash)
              .eventually(() -> {
                vertx.cancelTimer(timer);
                return Future.succeededFuture();
              })
              .compose(v -> session.status(hash))
              .compose(status -> session.bytesFromPeers(hash).map(peers -> {
                long millis = System.currentTimeMillis() - downloadStart;
                say("%s downloaded: %s in %.1f s (%s)", image.getName(), mib(image.getTotalSize()), millis / 1000.0,
                    describeSources(peers));
                event(BootStage.DOWNLOAD_COMPLETE, image, "in " + millis + " ms", status, peers);
                return new AgentResult(image.getName(), hash, imageDir, image.getTotalSize(), peers,
                    webBytes(peers), 0, millis, "", 0);
              }));
        })
        .compose(partial -> vertx.executeBlocking(() -> Verifier.verify(image, imageDir)).compose(problems -> {
          if (!problems.isEmpty()) {
            return Future.failedFuture("image " + image.getName() + " failed verification: " + String.join("; ", problems));
          }
          say("%s verified: SHA-256 of %d file(s) match the manifest", image.getName(), image.getFilesCount());
          event(BootStage.VERIFIED, image, image.getFilesCount() + " file(s) match", null);
          return seedAWhile(partial.infoHash()).map(uploaded -> withUpload(partial, uploaded));
        }))
        .compose(done -> launch(image, imageDir, done));
  }

  /**
   * agent.startGate (a start barrier for benchmarks): with a file name, everything up to a listening
   * libtorrent session is done; this waits until the file exists, looking every {@value
   * #START_GATE_POLL_MS} ms through {@code vertx.fileSystem()} (a worker, never the event loop), and the
   * download time counts from then. Empty: no wait.
   */
  private Future<Void> startGate() {
    String gate = options.startGate();
    if (gate.isEmpty()) {
      return Future.succeededFuture();
    }
    say("waiting for start gate %s", gate);
    Promise<Void> open = Promise.promise();
    pollStartGate(gate, open);
    return open.future().onSuccess(v -> {
      downloadStart = System.currentTimeMillis();
      say("start gate open");
    });
  }

  private void pollStartGate(String gate, Promise<Void> open) {
    vertx.fileSystem().exists(gate).onComplete(ar -> {
      if (ar.failed()) {
        open.fail(new IllegalStateException("cannot check start gate " + gate + ": " + ar.cause().getMessage(),
            ar.cause()));
      } else if (ar.result()) {
        open.complete();
      } else {
        vertx.setTimer(START_GATE_POLL_MS, id -> pollStartGate(gate, open));
      }
    });
  }

  /** The agent's libtorrent session: its listen address, limits and agent.requestQueueSeconds. */
  static SwarmSession.Options swarmOptions(AgentOptions options) {
    return new SwarmSession.Options(options.listenHost(), options.listenPort(), options.lsd(),
        options.uploadLimit(), options.downloadLimit(), "agent-" + options.mac(), 0, options.requestQueueSeconds());
  }

  /** Keeps seeding for the machines still downloading, as {@link SeedingPolicy} says. */
  private Future<Long> seedAWhile(String hash) {
    SeedingPolicy policy = options.seeding();
    if (policy.seedSeconds() <= 0) {
      return session.status(hash).map(TorrentStatus::getTotalUploaded);
    }
    Promise<Long> promise = Promise.promise();
    long started = System.currentTimeMillis();
    long[] lastReannounce = {started};
    say("seeding for up to %d s", policy.seedSeconds());
    vertx.setPeriodic(1000, id -> session.status(hash).onComplete(ar -> {
      long now = System.currentTimeMillis();
      SeedingPolicy.Decision decision = ar.succeeded() ? policy.decide(ar.result(), now - started)
          : new SeedingPolicy.Decision(Optional.of("status failed: " + ar.cause().getMessage()), false);
      if (decision.stop().isPresent()) {
        vertx.cancelTimer(id);
        long uploaded = ar.succeeded() ? ar.result().getTotalUploaded() : 0;
        event(BootStage.SEEDING_DONE, null, "uploaded " + uploaded + " bytes to other machines; "
            + decision.stop().get());
        promise.tryComplete(uploaded);
      } else if (decision.reannounce() && now - lastReannounce[0] >= 5000) {
        lastReannounce[0] = now; // the tracker's min interval; libtorrent would defer it anyway
        session.reannounce(hash);
      }
    }));
    return promise.future();
  }

  private Future<AgentResult> launch(ImageManifest image, Path imageDir, AgentResult done) {
    String launcher;
    try {
      launcher = Launchers.resolve(options.launcher(), image.getKind());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    // Whether KVM exists is a file check: done on a worker, like the launch itself.
    return vertx.executeBlocking(() -> Launchers.plan(launcher, image, imageDir, options.qemuUsesKvm()))
        .compose(plan -> {
          say("launching %s", plan.describe());
          event(BootStage.LAUNCHING, image.getName(), plan.describe());
          // kexec replaces this kernel: every event must be out before the launcher runs.
          return reporter.flush().compose(v -> vertx.executeBlocking(() -> ProcessLauncher.run(plan), false));
        })
        .compose(code -> {
          if (code != 0) {
            return Future.failedFuture(launcher + " exited with " + code);
          }
          return Future.succeededFuture(new AgentResult(done.image(), done.infoHash(), done.imageDir(),
              done.bytesTotal(), done.bytesFromPeers(), done.bytesFromWebSeed(), done.bytesUploaded(),
              done.downloadMillis(), launcher, code));
        });
  }

  /** Console progress, progress events and the web-seed fallback, once per progressIntervalMs. */
  private final class Progress {
    private final ImageManifest image;
    private final String hash;
    private boolean webSeedPending;
    private long lastGood = System.currentTimeMillis();

    Progress(ImageManifest image, String hash, boolean fallback) {
      this.image = image;
      this.hash = hash;
      this.webSeedPending = fallback && image.getWebSeedsCount() > 0;
    }

    void tick() {
      session.status(hash).onSuccess(status -> {
        long now = System.currentTimeMillis();
        say("%s %5.1f%% %s of %s  %s/s down  %s/s up  %d peers (%d seeds)", image.getName(),
            status.getProgress() * 100, mib((long) (status.getProgress() * image.getTotalSize())),
            mib(image.getTotalSize()), mib(status.getDownloadRate()), mib(status.getUploadRate()),
            status.getPeers(), status.getSeeds());
        event(BootStage.DOWNLOAD_PROGRESS, image, null, status);
        if (status.getDownloadRate() >= options.webSeedMinRate() || status.getProgress() >= 1.0) {
          lastGood = now;
        }
        if (webSeedPending && now - lastGood > options.webSeedFallbackSeconds() * 1000L) {
          webSeedPending = false;
          say("swarm below %s/s for %d s: adding the catalog's web seed", mib(options.webSeedMinRate()),
              options.webSeedFallbackSeconds());
          for (String url : image.getWebSeedsList()) {
            session.addWebSeed(hash, url);
          }
        }
      });
    }
  }

  private void event(BootStage stage, String image, String message) {
    BootEvent.Builder b = base(stage);
    if (image != null) {
      b.setImage(image);
    }
    if (message != null) {
      b.setMessage(message);
    }
    reporter.report(b.build());
  }

  private void event(BootStage stage, ImageManifest image, String message, TorrentStatus status) {
    event(stage, image, message, status, null);
  }

  private void event(BootStage stage, ImageManifest image, String message, TorrentStatus status,
      Map<String, Long> peers) {
    BootEvent.Builder b = base(stage).setImage(image.getName()).setInfoHash(image.getInfoHash())
        .setBytesTotal(image.getTotalSize());
    if (message != null) {
      b.setMessage(message);
    }
    if (status != null) {
      b.setBytesDone((long) (status.getProgress() * image.getTotalSize()))
          .setDownloadRate(status.getDownloadRate())
          .setUploadRate(status.getUploadRate())
          .setPeers(status.getPeers())
          .setBytesUploaded(status.getTotalUploaded());
    }
    if (peers != null) {
      b.putAllBytesFromPeers(peers).setBytesFromWebSeed(webBytes(peers));
    }
    reporter.report(b.build());
  }

  private BootEvent.Builder base(BootStage stage) {
    return BootEvent.newBuilder()
        .setMac(options.mac())
        .setNodeId(options.nodeId())
        .setStage(stage)
        .setTimestampMs(System.currentTimeMillis());
  }

  private static AgentResult withUpload(AgentResult r, long uploaded) {
    return new AgentResult(r.image(), r.infoHash(), r.imageDir(), r.bytesTotal(), r.bytesFromPeers(),
        r.bytesFromWebSeed(), uploaded, r.downloadMillis(), r.launcher(), r.exitCode());
  }

  private static long webBytes(Map<String, Long> peers) {
    return peers.entrySet().stream().filter(e -> e.getKey().startsWith("web:")).mapToLong(Map.Entry::getValue).sum();
  }

  private static String describeSources(Map<String, Long> peers) {
    long web = webBytes(peers);
    long swarm = peers.values().stream().mapToLong(Long::longValue).sum() - web;
    return mib(swarm) + " from " + peers.keySet().stream().filter(k -> !k.startsWith("web:")).count()
        + " peers, " + mib(web) + " from web seeds";
  }

  static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }

  private void say(String format, Object... args) {
    out.printf("[%s +%5.1fs] %s%n", options == null ? "agent" : options.mac(),
        (System.currentTimeMillis() - startedAt) / 1000.0, String.format(format, args));
  }

}
