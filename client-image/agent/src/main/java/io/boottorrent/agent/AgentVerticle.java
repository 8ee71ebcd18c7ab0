package io.boottorrent.agent;

import io.boottorrent.agent.launch.GuestFirst;
import io.boottorrent.agent.launch.Launchers;
import io.boottorrent.agent.launch.ProcessLauncher;
import io.boottorrent.core.BootEvents;
import io.boottorrent.core.InfoHash;
import io.boottorrent.core.MacAddress;
import io.boottorrent.core.PeerSource;
import io.boottorrent.core.trust.ImageTrust;
import io.boottorrent.core.trust.TrustException;
import io.boottorrent.core.trust.TrustedKeys;
import io.boottorrent.nbd.NbdServer;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.BootTicket;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.swarm.PieceStripe;
import io.boottorrent.swarm.SwarmSession;
import io.boottorrent.swarm.TorrentFactory;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-side agent: one boot of this machine, in stages —
 *
 * <ol>
 *   <li>{@link #assignment}: ask the catalog what this machine boots ({@code GET /api/v1/boot/{mac}});
 *       with trusted keys configured, with a fresh nonce whose signed boot ticket must check out;
 *   <li>{@link #choose}: the configured image, the remote assignment, or the console menu — which,
 *       with agent.prefetch, starts downloading its default image the moment it is shown;
 *   <li>{@link #prepare}: the chosen image's manifest (the assignment carries it) — with trusted keys,
 *       its signed copy, which must be the one the ticket names ({@link ImageTrust}) — and its .torrent,
 *       whose info-hash must be the manifest's;
 *   <li>{@link #begin} and {@link #download}: through the swarm, the web seed only as a fallback
 *       ({@link WebSeedFallback}); a peer that sends corrupt pieces is banned by address and reported
 *       ({@code PEER_BANNED});
 *   <li>{@link #verify}: SHA-256 of every file against the manifest;
 *   <li>{@link #seed}: keep seeding for machines still downloading ({@link SeedingPolicy}) — skipped
 *       when the launcher keeps the agent running (qemu, exec: agent.seedWhileRunning);
 *   <li>{@link #launch}: hand the files to the launcher; qemu and exec run the OS as a child while the
 *       agent seeds on, at agent.seedWhileRunningLimit, until it exits.
 * </ol>
 *
 * Every stage is reported as a {@link BootEvent} ({@link BootEvents.Agent}). Deploying the verticle
 * starts the boot; {@link #result()} tells how it went.
 */
public class AgentVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AgentVerticle.class);
  /** How often a closed start gate (agent.startGate) is looked at. */
  static final long START_GATE_POLL_MS = 20;

  private final AgentOptions options;
  private final InputStream console;
  private final PrintStream out;
  private final Promise<AgentResult> result = Promise.promise();
  private final String nodeId = UUID.randomUUID().toString();
  /** Sent with the assignment request: the signed ticket must echo it (no replayed answers). */
  private final String nonce = newNonce();
  /** The verified boot ticket; null while signatures are not checked. */
  private BootTicket ticket;
  private MacAddress mac;
  private CatalogClient catalog;
  private EventReporter reporter;
  private BootEvents.Agent events;
  private SwarmSession session;
  /** A streaming boot's QEMU has the console: no progress lines in the guest's output. */
  private boolean guestConsole;
  /** The NBD export a streaming boot's QEMU reads its disk from; null: none. */
  private NbdServer nbd;
  /** The image chosen, once it is: a failure names it. */
  private String chosen = "";
  private long startedAt;
  /** When the download began: before the session starts, or when the start gate opened. */
  private long downloadStart;
  /** The menu's default image, downloading while the menu is shown (agent.prefetch); null: none. */
  private Prefetch prefetch;

  /** What the boot carries from one stage to the next. */
  private record Choice(String image, BootAssignment assignment) {}

  private record Prepared(ImageManifest image, byte[] torrent, PieceStripe stripe) {}

  /** A torrent added to the session and downloading; {@code streaming}: added for streaming reads. */
  private record Begun(ImageManifest image, byte[] torrent, String hash, boolean streaming) {}

  private record Prefetch(String image, Future<Begun> begun) {}

  private record Downloaded(ImageManifest image, String infoHash, Path dir, Map<PeerSource, Long> sources,
      long millis) {}

  private record Seeded(Downloaded download, long uploaded) {}

  /** An agent on the process's console (stdin for keys, stdout for the menu and progress). */
  public AgentVerticle(AgentOptions options) {
    this(options, System.in, System.out);
  }

  public AgentVerticle(AgentOptions options, InputStream console, PrintStream out) {
    this.options = options;
    this.console = console;
    this.out = out;
  }

  public Future<AgentResult> result() {
    return result.future();
  }

  @Override
  public Future<?> start() {
    startedAt = System.currentTimeMillis();
    // Listing the network interfaces for the MAC is a system call: on a worker.
    return vertx.executeBlocking(() -> options.mac().orElseGet(AgentOptions::firstMac)).map(found -> {
      mac = found;
      catalog = new CatalogClient(vertx, options.catalogUrl(), options.catalogCertSha256(),
          options.catalogRetrySeconds() * 1000L);
      reporter = new EventReporter(vertx, catalog);
      events = BootEvents.system().agent(mac, nodeId);
      say("agent %s for %s, catalog %s%s", nodeId, mac, options.catalogUrl(),
          options.catalogCertSha256().map(p -> " (certificate SHA-256 " + p.sha256() + ")").orElse(""));
      report(events.started());
      // The boot runs after deployment completes: a menu may wait for a human for a long time.
      context.runOnContext(v -> boot().onComplete(this::finish));
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    Future<Void> exported = nbd == null ? Future.succeededFuture() : nbd.close().recover(e -> Future.succeededFuture())
        .compose(v -> vertx.executeBlocking(() -> {
          nbd.socketPath().ifPresent(p -> p.toFile().delete()); // the closed socket's file stays otherwise
          return null;
        }));
    Future<Void> closed = exported.compose(v -> session == null ? Future.succeededFuture() : session.close());
    return closed.eventually(() -> {
      if (catalog != null) {
        catalog.close();
      }
      return Future.succeededFuture();
    });
  }

  /** The swarm's streaming defaults, with the background's hold from agent.streamingQuietMs. */
  private SwarmSession.Streaming streamingReads() {
    SwarmSession.Streaming d = SwarmSession.Streaming.defaults();
    long quiet = options.streamingQuietMs();
    return new SwarmSession.Streaming(d.readTimeoutMs(), d.readAheadInitialBytes(), d.readAheadMaxBytes(), quiet,
        quiet == 0 ? 0 : d.backgroundMaxHoldMs());
  }

  private Future<AgentResult> boot() {
    return assignment()
        .compose(this::choose)
        .compose(this::begin)
        .compose(begun -> begun.streaming() ? stream(begun)
            : download(begun).compose(this::verify).compose(this::seed).compose(this::launch));
  }

  private void finish(io.vertx.core.AsyncResult<AgentResult> ar) {
    if (ar.succeeded()) {
      // the last events (SEEDING_DONE) are sent before the result: whoever runs the agent may exit, or
      // kexec, on it (StreamingBootTest once saw the result before the catalog had SEEDING_DONE)
      reporter.flush().onComplete(x -> result.tryComplete(ar.result()));
      return;
    }
    String reason = ar.cause().getMessage() == null ? ar.cause().toString() : ar.cause().getMessage();
    say("boot failed: %s", reason);
    LOG.debug("boot failed", ar.cause());
    report(events.failed(chosen, reason));
    reporter.flush().onComplete(x -> result.tryFail(ar.cause()));
  }

  // ------------------------------------------------------------------------------------ stages

  private Future<BootAssignment> assignment() {
    TrustedKeys trusted = options.trustedKeys();
    if (trusted.isEmpty()) {
      say("warning: no trusted keys (agent.trustedKeys, boottorrent.keys=): image signatures are not checked");
      return catalog.assignment(mac.canonical(), options.image());
    }
    return catalog.assignment(mac.canonical(), nonce, options.image()).compose(assignment -> {
      try {
        ticket = ImageTrust.checkTicket(assignment.hasTicket() ? Optional.of(assignment.getTicket()) : Optional.empty(),
            mac.canonical(), nonce, trusted);
      } catch (TrustException e) {
        return Future.failedFuture(refusal(e));
      }
      return Future.succeededFuture(assignment);
    });
  }

  /** A trust failure as the boot's failure reason: it says that nothing will be launched. */
  private static IllegalStateException refusal(TrustException e) {
    return new IllegalStateException("refusing to boot: " + e.getMessage());
  }

  private Future<Choice> choose(BootAssignment assignment) {
    if (!options.image().isBlank()) {
      report(events.imageChosen(options.image(), "configured on this machine"));
      return Future.succeededFuture(new Choice(options.image(), assignment));
    }
    if (assignment.getSkipMenu()) {
      report(events.imageChosen(assignment.getDefaultImage(), "assigned (" + assignment.getMatchedRule() + ")"));
      return Future.succeededFuture(new Choice(assignment.getDefaultImage(), assignment));
    }
    MenuModel menu = MenuModel.of(assignment);
    report(events.menuShown(menu.items().get(menu.selected()), menu.items(), menu.remainingSeconds()));
    if (options.prefetch() && !assignment.getDefaultImage().isBlank()) {
      // the countdown is download time: most machines take the default
      String image = assignment.getDefaultImage();
      prefetch = new Prefetch(image, prepare(new Choice(image, assignment)).compose(p -> start(p, "prefetched while "
          + "the menu is shown")));
    }
    return new ConsoleMenu(vertx, options.interactive() ? console : null, out).show(menu).map(name -> {
      report(events.imageChosen(name, name.equals(assignment.getDefaultImage()) ? "default" : "chosen from the menu"));
      return new Choice(name, assignment);
    });
  }

  /**
   * The manifest comes with the assignment (its menu lists every image this machine may boot); only an
   * image configured on the machine and outside that menu is asked for. The .torrent must be the one
   * the manifest names: its info-hash is checked before anything is downloaded.
   */
  private Future<Prepared> prepare(Choice choice) {
    chosen = choice.image();
    Future<ImageManifest> manifest = choice.assignment().getMenuList().stream()
        .filter(m -> m.getName().equals(choice.image()))
        .findFirst()
        .map(Future::succeededFuture)
        .orElseGet(() -> catalog.image(choice.image()));
    PieceStripe stripe = stripeFor(options, choice.assignment(), choice.image());
    return manifest.compose(this::trusted).compose(image -> catalog.torrent(image.getName())
        .compose(torrent -> vertx.executeBlocking(() -> checkInfoHash(image, torrent)))
        .map(torrent -> new Prepared(image, torrent, stripe)));
  }

  /**
   * With trusted keys: the manifest's signed copy, if it checks out against the ticket (everything
   * after this uses that copy only). Without: the manifest as sent.
   */
  private Future<ImageManifest> trusted(ImageManifest sent) {
    if (ticket == null) {
      return Future.succeededFuture(sent);
    }
    try {
      ImageManifest signed = ImageTrust.checkManifest(sent, ticket, options.trustedKeys());
      say("%s: manifest version %d signed by a trusted key", signed.getName(), signed.getVersion());
      return Future.succeededFuture(signed);
    } catch (TrustException e) {
      return Future.failedFuture(refusal(e));
    }
  }

  /** The torrent's bytes if their info-hash is the manifest's. Loads libtorrent: call on a worker. */
  static byte[] checkInfoHash(ImageManifest image, byte[] torrent) {
    InfoHash expected;
    try {
      expected = InfoHash.fromHex(image.getInfoHash());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("the manifest of " + image.getName() + " has no valid info-hash: "
          + e.getMessage());
    }
    InfoHash actual;
    try {
      actual = InfoHash.fromHex(TorrentFactory.infoHash(torrent));
    } catch (RuntimeException e) {
      throw new IllegalStateException("the catalog's .torrent of " + image.getName() + " is not a valid torrent: "
          + e.getMessage());
    }
    if (!actual.equals(expected)) {
      throw new IllegalStateException("the .torrent of " + image.getName() + " has info-hash " + actual
          + ", but its manifest names " + expected + ": refusing to download");
    }
    return torrent;
  }

  /**
   * The chosen image's download, under way: the prefetched one when the default was chosen; else (the
   * prefetch dropped, its files deleted, if there was one) a new one.
   */
  private Future<Begun> begin(Choice choice) {
    Prefetch fetched = prefetch;
    prefetch = null;
    if (fetched == null) {
      return prepare(choice).compose(p -> start(p, ""));
    }
    if (fetched.image().equals(choice.image())) {
      chosen = choice.image();
      return fetched.begun();
    }
    // A failed prefetch does not matter now: that image was not chosen.
    Future<Void> dropped = fetched.begun().transform(ar -> ar.failed() ? Future.<Void>succeededFuture()
        : session.remove(ar.result().hash(), true).onSuccess(v -> say("dropped the prefetch of %s", fetched.image())));
    return dropped.recover(e -> {
      LOG.warn("could not drop the prefetch of {}: {}", fetched.image(), e.getMessage());
      return Future.succeededFuture();
    }).compose(v -> prepare(choice)).compose(p -> start(p, ""));
  }

  /** Starts the session (once), waits at the start gate, adds the torrent. */
  private Future<Begun> start(Prepared prepared, String why) {
    ImageManifest image = prepared.image();
    PieceStripe stripe = prepared.stripe();
    WebSeedFallback fallback = options.webSeedFallback();
    boolean streams = streams(image);
    SwarmSession.AddOptions add = new SwarmSession.AddOptions(0, !fallback.holdsBack(), stripe);
    downloadStart = System.currentTimeMillis();
    // asked for beside the session's start, so it is here by the add (a miss only costs the prefetch)
    Future<Optional<BootProfile>> profile = streams && options.bootProfile().uses()
        ? catalog.bootProfile(image.getName()).recover(e -> {
          LOG.info("no boot profile for {}: {}", image.getName(), e.getMessage());
          return Future.succeededFuture(Optional.empty());
        })
        : Future.succeededFuture(Optional.empty());
    return vertx.executeBlocking(() -> checkSpace(Files.createDirectories(options.workDir()), image))
        .compose(v -> session != null ? Future.succeededFuture() : SwarmSession.start(vertx, swarmOptions(options, mac))
            .compose(s -> {
              session = s;
              // A peer that sent corrupt data: its address is banned for the rest of the download, reported once.
              session.onPeerBanned(ban -> {
                say("%s: banned %s (every port): %s; %d bytes discarded", chosen, ban.address(), ban.reason(),
                    ban.bytesDiscarded());
                report(events.peerBanned(image, ban.address(), ban.bytesDiscarded(), ban.reason()));
              });
              return startGate();
            }))
        // Web seeds stay out until the swarm stalls: the server's HTTP link is the bottleneck we avoid.
        .compose(v -> session.add(prepared.torrent(), options.workDir(),
            streams ? add.streaming(streamingReads()) : add))
        .map(hash -> {
          report(events.downloadStarted(image, "listening on port " + session.listenPort()
              + (why.isEmpty() ? "" : ", " + why) + (streams ? ", streaming"
                  : stripe == null ? "" : ", piece stripe " + stripe + " first")));
          if (streams) {
            profile.onSuccess(p -> bootProfile(image, hash, p));
          }
          return new Begun(image, prepared.torrent(), hash, streams);
        });
  }

  /**
   * A streaming boot and the image's boot profile (agent.bootProfile): with one recorded on this
   * torrent, its pieces are asked for now, in its order, before the guest reads them (a later machine
   * then has its kernel from the peers while its firmware still runs); without one, this boot records
   * its own and posts it once its reads pause. Neither step delays the boot, and a failure only costs
   * the hint.
   */
  private void bootProfile(ImageManifest image, String hash, Optional<BootProfile> known) {
    Optional<BootProfile> current = known.filter(p -> p.getInfoHash().equalsIgnoreCase(hash));
    if (current.isPresent()) {
      BootProfile p = current.get();
      session.prefetch(hash, p.getPiecesList())
          .onSuccess(n -> say("boot profile of %s (recorded by %s): asking for %d of its %d pieces before the guest "
              + "reads them", image.getName(), p.getRecordedBy().isEmpty() ? "a machine" : p.getRecordedBy(), n,
              p.getPiecesCount()))
          .onFailure(e -> LOG.warn("boot profile of {} not applied: {}", image.getName(), e.getMessage()));
      return;
    }
    if (known.isPresent()) {
      LOG.info("the boot profile of {} was recorded on torrent {}, this one is {}: recording a new one",
          image.getName(), known.get().getInfoHash(), hash);
    }
    if (!options.bootProfile().records()) {
      return;
    }
    session.bootProfile(hash)
        .compose(reads -> {
          BootProfile.Builder recorded = BootProfile.newBuilder().setImage(image.getName()).setInfoHash(hash)
              .setRecordedBy(mac.canonical());
          reads.forEach(r -> recorded.addPieces(r.piece()).addReadAtMs((int) Math.min(Integer.MAX_VALUE, r.atMs())));
          return recorded.getPiecesCount() == 0 ? Future.<BootProfile>failedFuture("the guest read nothing")
              : catalog.postBootProfile(recorded.build()).map(recorded.build());
        })
        // the log, not the console: the guest has it by now
        .onSuccess(p -> LOG.info("posted the boot profile of {}: {} pieces, the last read first at +{} ms",
            image.getName(), p.getPiecesCount(), p.getReadAtMs(p.getReadAtMsCount() - 1)))
        .onFailure(e -> LOG.info("no boot profile posted for {}: {}", image.getName(), e.getMessage()));
  }

  private Future<Downloaded> download(Begun begun) {
    ImageManifest image = begun.image();
    String hash = begun.hash();
    WebSeedFallback fallback = options.webSeedFallback();
    Progress progress = new Progress(image, hash, fallback.watch(image.getWebSeedsCount() > 0, downloadStart));
    long timer = vertx.setPeriodic(options.progressIntervalMs(), id -> progress.tick());
    return session.finished(hash)
        .eventually(() -> {
          vertx.cancelTimer(timer);
          return Future.succeededFuture();
        })
        .compose(v -> session.status(hash))
        .compose(status -> session.bytesFromPeers(hash).map(sources -> {
          long millis = System.currentTimeMillis() - downloadStart;
          say("%s downloaded: %s in %.1f s (%s)", image.getName(), mib(image.getTotalSize()), millis / 1000.0,
              describeSources(sources));
          report(events.downloadComplete(image, millis, status, sources));
          return new Downloaded(image, hash, options.workDir().resolve(image.getName()), sources, millis);
        }));
  }

  /**
   * Fails before anything is written when {@code workDir} (a RAM disk in the client image) has less room
   * than the image still needs (files already there from an earlier try count as written). Blocking.
   */
  static Path checkSpace(Path workDir, ImageManifest image) throws java.io.IOException {
    long needed = 0;
    for (io.boottorrent.proto.ImageFile file : image.getFilesList()) {
      Path there = workDir.resolve(image.getName()).resolve(file.getPath());
      needed += Math.max(0, file.getSize() - (Files.isRegularFile(there) ? Files.size(there) : 0));
    }
    long free = Files.getFileStore(workDir).getUsableSpace();
    if (free < needed) {
      throw new IllegalStateException("No space left on device: " + image.getName() + " needs " + needed
          + " more bytes, agent.workDir " + workDir + " has " + free + " free");
    }
    return workDir;
  }

  private Future<Downloaded> verify(Downloaded done) {
    ImageManifest image = done.image();
    return vertx.executeBlocking(() -> Verifier.verify(image, done.dir())).compose(problems -> {
      if (!problems.isEmpty()) {
        return Future.failedFuture("image " + image.getName() + " failed verification: " + String.join("; ", problems));
      }
      say("%s verified: SHA-256 of %d file(s) match the manifest", image.getName(), image.getFilesCount());
      report(events.verified(image));
      return Future.succeededFuture(done);
    });
  }

  /** Keeps seeding for the machines still downloading, as {@link SeedingPolicy} says. */
  private Future<Seeded> seed(Downloaded done) {
    SeedingPolicy policy = options.seeding();
    Future<Long> uploaded = policy.seedSeconds() <= 0 || seedsWhileRunning(done.image())
        ? session.status(done.infoHash()).map(TorrentStatus::getTotalUploaded)
        : seedAWhile(done.infoHash(), policy);
    return uploaded.map(bytes -> new Seeded(done, bytes));
  }

  private Future<Long> seedAWhile(String hash, SeedingPolicy policy) {
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
        report(events.seedingDone(uploaded, decision.stop().get()));
        promise.tryComplete(uploaded);
      } else if (decision.reannounce() && now - lastReannounce[0] >= 5000) {
        lastReannounce[0] = now; // the tracker's min interval; libtorrent would defer it anyway
        session.reannounce(hash);
      }
    }));
    return promise.future();
  }

  /** Whether this image boots while it downloads (agent.streaming: qemu images). */
  private boolean streams(ImageManifest image) {
    try {
      return options.streams(Launchers.resolve(options.launcher(), image.getKind()), image);
    } catch (RuntimeException e) {
      return false; // no launcher for it: launch() says so
    }
  }

  /**
   * Streaming boot: QEMU starts now, its disk the agent's NBD export of the image's disk file, served
   * from the swarm as it downloads (reads of missing pieces wait for them at top priority). The
   * download goes on, and is verified when complete; if the image then fails verification, QEMU is
   * stopped: the guest ran on pieces that each matched the torrent, but the signed manifest's SHA-256
   * says the image is not the one released, and nothing tells which bytes are wrong. The boot ends when
   * both are done: QEMU exited and the image verified (the agent seeds meanwhile).
   */
  private Future<AgentResult> stream(Begun begun) {
    ImageManifest image = begun.image();
    String disk = Launchers.relativePath(image, "disk").orElse("");
    long diskSize = image.getFilesList().stream().filter(f -> f.getPath().equals(disk))
        .mapToLong(io.boottorrent.proto.ImageFile::getSize).findFirst().orElse(-1);
    if (disk.isEmpty() || diskSize < 0) {
      return Future.failedFuture("image " + image.getName() + " has no disk file to stream");
    }
    return vertx.executeBlocking(() -> TorrentFactory.fileIndex(begun.torrent(), disk))
        .compose(index -> vertx.executeBlocking(() -> nbdSocket(begun.hash())).compose(socket -> {
          SwarmDisk source = new SwarmDisk(session, begun.hash(), index, diskSize);
          if (socket.isEmpty()) {
            return (nbd = NbdServer.tcp(vertx, "disk", source, 0)).start();
          }
          return (nbd = NbdServer.unix(vertx, "disk", source, socket.get().toString())).start().recover(e -> {
            LOG.warn("NBD export on 127.0.0.1: no Unix socket at {} ({})", socket.get(), e.getMessage());
            return (nbd = NbdServer.tcp(vertx, "disk", source, 0)).start();
          });
        }))
        .compose(server -> session.status(begun.hash()).compose(status -> vertx.executeBlocking(
            () -> Launchers.qemuStreaming(image, server.uri(), options.qemuUsesKvm())).compose(plan -> {
              long present = (long) (status.getProgress() * image.getTotalSize());
              say("streaming %s from %s (%s present); launching %s", image.getName(), server.uri(), mib(present),
                  plan.describe());
              report(events.streamStarted(image, present, server.uri()));
              report(events.launching(image.getName(), Launchers.QEMU, plan.describe()));
              guestConsole = true; // QEMU's -nographic console is ours now: progress goes to events only
              // No upload cap yet (agent.seedWhileRunningLimit comes once the image is complete): the
              // agent's requests go through the same libtorrent upload channel, and a capped channel
              // with no quota saved holds each write until the next quota tick for its first second or
              // so: the boot's first reads waited on it (BENCHMARKS "Streaming boot"). While it
              // downloads, what it uploads feeds the other machines streaming the same image.
              return reporter.flush()
                  .compose(v -> vertx.executeBlocking(() -> ProcessLauncher.start(plan)))
                  .compose(process -> guestFirst().map(process))
                  .compose(process -> streamed(begun, plan, process));
            })));
  }

  /**
   * Where a streaming boot's NBD export listens: a Unix socket in the work dir (connecting needs write
   * permission on it: with the usual umask only the agent's user, where 127.0.0.1 is open to every
   * local user; and the guest's reads skip TCP), or, when that path
   * is too long for a socket address (108 bytes), 127.0.0.1 on a free port. On a worker: a stale
   * socket of an earlier run is removed.
   */
  private Optional<Path> nbdSocket(String hash) throws java.io.IOException {
    Optional<Path> socket = nbdSocketPath(options.workDir(), hash);
    if (socket.isEmpty()) {
      LOG.info("NBD export on 127.0.0.1: a socket in {} would be too long a path for a Unix socket", options.workDir());
      return socket;
    }
    Files.createDirectories(socket.get().getParent());
    Files.deleteIfExists(socket.get());
    return socket;
  }

  /** {@code <workDir>/nbd-<12 hex digits of the info-hash>.sock}; empty when over a socket address's 107 bytes. */
  static Optional<Path> nbdSocketPath(Path workDir, String hash) {
    Path socket = workDir.resolve("nbd-" + hash.substring(0, 12) + ".sock");
    return socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107 ? Optional.empty()
        : Optional.of(socket);
  }

  /** QEMU running on the export: the download and its verification go on beside it. */
  private Future<AgentResult> streamed(Begun begun, io.boottorrent.agent.launch.LaunchPlan plan, Process qemu) {
    long started = System.nanoTime();
    Future<Integer> exited = vertx.executeBlocking(qemu::waitFor, false);
    Future<Downloaded> verified = download(begun)
        .compose(done -> seedWhileRunning(done.infoHash()).map(done))
        .compose(this::verify);
    verified.onFailure(e -> {
      if (qemu.isAlive()) {
        say("stopping QEMU: %s", e.getMessage());
        qemu.destroy();
        vertx.setTimer(5000, t -> qemu.destroyForcibly());
      }
    });
    exited.onSuccess(code -> {
      say("QEMU exited with %d after %.1f s%s", code, (System.nanoTime() - started) / 1e9,
          verified.isComplete() ? "" : "; the download goes on until the image is verified");
      // what the guest's reads cost: how often and how long they waited for the swarm
      session.streamStats(begun.hash()).onSuccess(st -> say("stream: %d reads, %d ms in all from call to bytes (longest %d ms); "
          + "pieces on demand %d, read ahead %d, from the boot profile %d, background %d; background held %d time(s); "
          + "reads over 100 ms, in order (when called, from the add): %s",
          st.reads(), st.totalWaitMs(), st.maxWaitMs(), st.onDemandPieces(), st.readAheadPieces(), st.prefetchedPieces(),
          st.backgroundPieces(), st.backgroundHolds(), slowReads(st)));
    });
    // a QEMU the agent stopped because the image failed verification: the boot failed on that, not on its exit code
    return exited.compose(code -> code != 0 && !verified.failed()
        ? Future.failedFuture(Launchers.QEMU + " exited with " + code
            + (plan.failureHint().isEmpty() ? "" : ": " + plan.failureHint()))
        : verified.compose(done -> session.status(done.infoHash()).map(TorrentStatus::getTotalUploaded).map(up -> {
          report(events.seedingDone(up, String.format("qemu exited with 0 after %.1f s: seeded while it ran "
              + "(streaming boot)", (System.nanoTime() - started) / 1e9)));
          return new AgentResult(image(begun), done.infoHash(), done.dir(), begun.image().getTotalSize(),
              done.sources(), up, done.millis(), Launchers.QEMU, 0);
        })));
  }

  private static String image(Begun begun) {
    return begun.image().getName();
  }

  /** Whether this image's launcher keeps the agent seeding while the OS runs (agent.seedWhileRunning). */
  private boolean seedsWhileRunning(ImageManifest image) {
    try {
      return options.seedsWhileRunning(Launchers.resolve(options.launcher(), image.getKind()));
    } catch (RuntimeException e) {
      return false; // no launcher for it: launch() says so
    }
  }

  private Future<AgentResult> launch(Seeded seeded) {
    Downloaded done = seeded.download();
    ImageManifest image = done.image();
    String launcher;
    try {
      launcher = Launchers.resolve(options.launcher(), image.getKind());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    // Whether KVM exists is a file check: done on a worker, like the launch itself.
    return vertx.executeBlocking(() -> Launchers.plan(launcher, image, done.dir(), options.qemuUsesKvm(),
            Launchers.lockdown()))
        .compose(plan -> {
          say("launching %s", plan.describe());
          report(events.launching(image.getName(), launcher, plan.describe()));
          boolean seedOn = options.seedsWhileRunning(launcher);
          // kexec replaces this kernel: every event must be out before the launcher runs.
          return reporter.flush()
              .compose(v -> seedOn ? seedWhileRunning(done.infoHash()) : Future.succeededFuture())
              .compose(v -> vertx.executeBlocking(() -> timed(() -> ProcessLauncher.run(plan,
                  seedOn ? this::guestFirstBlocking : () -> {})), false))
              .compose(run -> !seedOn ? Future.succeededFuture(new Ran(run.code(), seeded.uploaded()))
                  : session.status(done.infoHash()).map(TorrentStatus::getTotalUploaded).otherwise(seeded.uploaded())
                      .map(uploaded -> {
                        report(events.seedingDone(uploaded, String.format("%s exited with %d after %.1f s: seeded while "
                            + "it ran", launcher, run.code(), run.millis() / 1000.0)));
                        return new Ran(run.code(), uploaded);
                      }))
              .compose(ran -> ran.code() != 0
                  ? Future.failedFuture(launcher + " exited with " + ran.code()
                      + (plan.failureHint().isEmpty() ? "" : ": " + plan.failureHint()))
                  : Future.succeededFuture(new AgentResult(image.getName(), done.infoHash(), done.dir(),
                      image.getTotalSize(), done.sources(), ran.uploaded(), done.millis(), launcher, ran.code())));
        });
  }

  /**
   * The OS now has this machine: the agent's upload drops to agent.seedWhileRunningLimit (0: as it
   * was) for the machines that arrive later; the session seeds until the agent stops.
   */
  private Future<Void> seedWhileRunning(String hash) {
    long limit = options.seedWhileRunningLimit();
    say("seeding while the OS runs%s", limit > 0 ? " at up to " + mib(limit) + "/s" : "");
    return limit > 0 ? session.setUploadLimit(hash, limit) : Future.succeededFuture();
  }

  /**
   * The launched OS runs beside the agent: the agent drops to agent.niceWhileRunning, so that the
   * guest's boot has the CPU first (GuestFirst). A failure is said and the boot goes on: it only costs
   * the guest some speed.
   */
  private Future<Void> guestFirst() {
    return vertx.executeBlocking(() -> {
      guestFirstBlocking();
      return null;
    }, false);
  }

  private void guestFirstBlocking() {
    int nice = options.niceWhileRunning();
    if (nice == 0) {
      return;
    }
    try {
      say("the OS first: %s (agent.niceWhileRunning)", GuestFirst.lower(nice));
    } catch (java.io.IOException | RuntimeException e) {
      say("the agent's priority is unchanged: %s", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private record Ran(int code, long uploaded) {}

  private record Timed(int code, long millis) {}

  private static Timed timed(java.util.concurrent.Callable<Integer> run) throws Exception {
    long start = System.nanoTime();
    int code = run.call();
    return new Timed(code, (System.nanoTime() - start) / 1_000_000);
  }

  // ----------------------------------------------------------------------------------- helpers

  /**
   * The piece stripe to ask for first when booting {@code image}: this machine's own setting
   * (agent.pieceStripe), else the one its group rule hands out (BootAssignment stripe_index/
   * stripe_count), else the nested stripe of its place in the storm (BootAssignment arrival, counted
   * for the configured image or else the default one: only when booting that image), else none.
   */
  static PieceStripe stripeFor(AgentOptions options, BootAssignment assignment, String image) {
    if (options.pieceStripe().isPresent()) {
      return options.pieceStripe().get();
    }
    if (assignment == null) {
      return null;
    }
    String counted = options.image().isBlank() ? assignment.getDefaultImage() : options.image();
    if (assignment.getStripeCount() <= 0) {
      return assignment.getArrival() > 0 && image.equals(counted) ? PieceStripe.nested(assignment.getArrival() - 1) : null;
    }
    try {
      return new PieceStripe(assignment.getStripeIndex(), assignment.getStripeCount());
    } catch (IllegalArgumentException e) {
      LOG.warn("ignoring the catalog's piece stripe: {}", e.getMessage());
      return null;
    }
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
  static SwarmSession.Options swarmOptions(AgentOptions options, MacAddress mac) {
    return new SwarmSession.Options(options.listenHost(), options.listenPort(), options.lsd(),
        options.uploadLimit(), options.downloadLimit(), "agent-" + mac, 0, options.requestQueueSeconds());
  }

  /** Console progress, progress events and the web-seed fallback, once per progressIntervalMs. */
  private final class Progress {
    private final ImageManifest image;
    private final String hash;
    private final WebSeedFallback.Watch webSeed;

    Progress(ImageManifest image, String hash, WebSeedFallback.Watch webSeed) {
      this.image = image;
      this.hash = hash;
      this.webSeed = webSeed;
    }

    void tick() {
      session.status(hash).onSuccess(status -> {
        if (!guestConsole) {
          say("%s %5.1f%% %s of %s  %s/s down  %s/s up  %d peers (%d seeds)", image.getName(),
              status.getProgress() * 100, mib((long) (status.getProgress() * image.getTotalSize())),
              mib(image.getTotalSize()), mib(status.getDownloadRate()), mib(status.getUploadRate()),
              status.getPeers(), status.getSeeds());
        }
        report(events.downloadProgress(image, status));
        webSeed.observe(status, System.currentTimeMillis()).ifPresent(why -> {
          say("%s: adding the catalog's web seed", why);
          for (String url : image.getWebSeedsList()) {
            session.addWebSeed(hash, url);
          }
        });
      });
    }
  }

  private void report(BootEvent event) {
    reporter.report(event);
  }

  private static String describeSources(Map<PeerSource, Long> sources) {
    long web = AgentResult.webSeedBytes(sources);
    long swarm = sources.values().stream().mapToLong(Long::longValue).sum() - web;
    return mib(swarm) + " from " + sources.keySet().stream().filter(k -> !k.isWebSeed()).count()
        + " peers, " + mib(web) + " from web seeds";
  }

  private static String newNonce() {
    byte[] bytes = new byte[16];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.HexFormat.of().formatHex(bytes);
  }

  static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }

  private void say(String format, Object... args) {
    out.printf("[%s +%5.1fs] %s%n", mac == null ? "agent" : mac,
        (System.currentTimeMillis() - startedAt) / 1000.0, String.format(format, args));
  }

  /** "1289 ms at +0.4 s" for each of the stream's reads that waited over 100 ms, in order. */
  static List<String> slowReads(SwarmSession.StreamStats st) {
    List<String> slow = new ArrayList<>();
    for (int i = 0; i < st.recentWaitsMs().size(); i++) {
      long ms = st.recentWaitsMs().get(i);
      if (ms > 100) {
        slow.add(String.format(Locale.ROOT, "%d ms at +%.1f s", ms, st.recentWaitStartsMs().get(i) / 1000.0));
      }
    }
    return slow;
  }
}
