package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.Libtorrent;
import io.boottorrent.swarm.SwarmSession;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.AddTorrentParams;
import org.libtorrent4j.AlertListener;
import org.libtorrent4j.ErrorCode;
import org.libtorrent4j.SessionHandle;
import org.libtorrent4j.SessionManager;
import org.libtorrent4j.SessionParams;
import org.libtorrent4j.SettingsPack;
import org.libtorrent4j.TcpEndpoint;
import org.libtorrent4j.TorrentFlags;
import org.libtorrent4j.TorrentHandle;
import org.libtorrent4j.TorrentInfo;
import org.libtorrent4j.alerts.Alert;
import org.libtorrent4j.alerts.AlertType;
import org.libtorrent4j.swig.error_code;
import org.libtorrent4j.swig.settings_pack;

/**
 * A BitTorrent peer that serves corrupt pieces, against a real agent on loopback (addresses
 * 127.0.0.50–59): an honest seeder (a {@link SwarmSession}, 127.0.0.50) throttled at first, a
 * malicious libtorrent session (127.0.0.51) seeding a corrupted copy of the image in seed mode with
 * hash checks off, so it wins the race for the first pieces; the agent on 127.0.0.52; a stub tracker
 * and a stub catalog on 127.0.0.53. After the ban the malicious peer comes back on another port, is
 * announced by the tracker and connects to the agent itself. The second test is the loopback rigs'
 * shape: honest peers sharing 127.0.0.1, a liar beside them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CorruptPeerBanTest {
  private static final String HONEST = "127.0.0.50";
  private static final String BAD = "127.0.0.51";
  private static final String AGENT = "127.0.0.52";
  private static final String STUBS = "127.0.0.53";
  private static final String MAC = "52:54:00:00:00:51";
  private static final int SIZE = 2 * 1024 * 1024;
  private static final int PIECE = 32 * 1024;

  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private final List<BootEvent> events = new CopyOnWriteArrayList<>();
  /** The peers the stub tracker hands out, as host:port. */
  private final List<String> announced = new CopyOnWriteArrayList<>();
  private final AtomicInteger agentAnnounces = new AtomicInteger();
  private volatile int agentPort;
  private final List<Malicious> malicious = new CopyOnWriteArrayList<>();
  private SwarmSession honest;

  @AfterEach
  void close() {
    malicious.forEach(Malicious::stop);
    if (honest != null) {
      honest.close().await();
    }
    vertx.close().await();
  }

  @Test
  void aPeerServingCorruptPiecesIsBannedByAddressAndStaysBannedFromAnotherPortWhileTheAgentCompletesFromTheHonestSeeder()
      throws Exception {
    // GIVEN an image, a corrupted copy of it (every byte changed), and its torrent with our stub tracker
    Path image = Files.createDirectories(dir.resolve("honest/img"));
    byte[] content = imageAndCorruptCopy(image);
    int trackerPort = tracker();
    TorrentFactory.Created torrent = TorrentFactory.create(image,
        List.of("http://" + STUBS + ":" + trackerPort + "/announce"), List.of(), PIECE);
    // the seeders get the same info dict without the tracker: only the agent announces and learns peers
    TorrentFactory.Created quiet = TorrentFactory.create(image, List.of(), List.of(), PIECE);
    assertThat(quiet.infoHash()).isEqualTo(torrent.infoHash());

    // AND an honest seeder throttled to 8 KiB/s, and a malicious one serving the corrupted copy at full speed
    honest = SwarmSession.start(vertx, new SwarmSession.Options(HONEST, 0, false, 0, 0, "honest")).await();
    honest.add(quiet.torrent(), dir.resolve("honest"), new SwarmSession.AddOptions(8 * 1024, false)).await();
    Malicious first = Malicious.start(quiet.torrent(), dir.resolve("bad"));
    malicious.add(first);
    announced.add(HONEST + ":" + honest.listenPort());
    announced.add(BAD + ":" + first.port());

    // WHEN the agent boots that image
    ImageManifest manifest = ImageManifest.newBuilder().setName("img").setKind(ImageKind.EXEC)
        .setInfoHash(torrent.infoHash()).setTotalSize(SIZE).setPieceLength(PIECE)
        .addFiles(ImageFile.newBuilder().setRole("binary").setPath("disk.img").setSize(SIZE)
            .setSha256(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content))))
        .build();
    String catalog = catalog(manifest, torrent.torrent());
    AgentOptions options = AgentOptions.fromSection(TestConfig.section("agent").put("catalogUrl", catalog)
        .put("mac", MAC).put("workDir", dir.resolve("work").toString()).put("launcher", "none")
        .put("interactive", false).put("listenHost", AGENT).put("seedSeconds", 0).put("progressIntervalMs", 500));
    AgentVerticle agent = new AgentVerticle(options, null, new PrintStream(OutputStream.nullOutputStream()));
    vertx.deployVerticle(agent).await();

    // THEN the malicious peer delivers corrupt pieces first and the agent bans its address
    await(() -> stage(BootStage.PEER_BANNED).size() == 1, 90, "a PEER_BANNED event");
    long corruptSent = first.uploaded();
    assertThat(corruptSent).as("the malicious peer won the race for the first pieces").isPositive();

    // WHEN it comes back from another port of the same address: announced by the tracker, and
    // connecting to the agent itself
    first.stop();
    Malicious second = Malicious.start(quiet.torrent(), dir.resolve("bad"));
    malicious.add(second);
    assertThat(second.port()).isNotEqualTo(first.port());
    announced.remove(BAD + ":" + first.port());
    announced.add(BAD + ":" + second.port());
    int announcesBefore = agentAnnounces.get();
    assertThat(agentPort).as("the agent announced its port").isPositive();
    for (int i = 0; i < 3; i++) {
      second.connect(AGENT, agentPort);
      Thread.sleep(1000);
    }
    // the agent announces every 5 s (the stub's interval): twice more means it was handed the new port
    await(() -> agentAnnounces.get() >= announcesBefore + 2, 40, "two more announces by the agent");
    Thread.sleep(3000);

    // THEN the agent never talks BitTorrent with it again: no connection from the agent, nothing uploaded
    assertThat(second.connectAttempts()).as("the malicious peer tried to connect").isPositive();
    assertThat(second.incomingConnections()).as("connections from the agent to the new port").isZero();
    assertThat(second.uploaded()).as("bytes the banned address got to serve from its new port").isZero();

    // WHEN the honest seeder is no longer throttled
    honest.setUploadLimit(torrent.infoHash(), 0).await();
    AgentResult result = agent.result().await();

    // THEN the agent completes byte-identical from the honest seeder
    assertThat(Files.mismatch(image.resolve("disk.img"), dir.resolve("work/img/disk.img"))).isEqualTo(-1L);
    assertThat(stage(BootStage.VERIFIED)).hasSize(1);
    // AND reported the bad peer once, with the bytes it discarded from it
    List<BootEvent> bans = stage(BootStage.PEER_BANNED);
    assertThat(bans).hasSize(1);
    assertThat(bans.get(0).getPeer()).isEqualTo(BAD);
    assertThat(bans.get(0).getImage()).isEqualTo("img");
    assertThat(bans.get(0).getBytesDiscarded()).isPositive().isLessThanOrEqualTo(corruptSent);
    assertThat(bans.get(0).getMessage()).startsWith(BAD + " banned: ");
    // AND its per-source byte counts hold no byte of the discarded data: nothing from the bad address,
    // and the sources add up to the image
    Map<String, Long> sources = stage(BootStage.DOWNLOAD_COMPLETE).get(0).getBytesFromPeersMap();
    assertThat(sources.keySet()).noneMatch(k -> k.startsWith(BAD + ":"));
    assertThat(sources.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(SIZE);
    assertThat(result.sources().keySet()).noneMatch(k -> k.key().startsWith(BAD + ":"));
    System.out.printf("corrupt peer: sent %d bytes before the ban, %d discarded at the ban (event), "
        + "%d connection attempts from its new port, sources %s%n", corruptSent, bans.get(0).getBytesDiscarded(),
        second.connectAttempts(), sources);
  }

  @Test
  void honestPeersThatShareOneAddressAreNeverBannedWhileTheLiarOnAnotherIsAndTheyFinishFromEachOtherAndTheSeeder()
      throws Exception {
    // GIVEN a seeder and two downloaders, all three on 127.0.0.1 (the shape of the loopback test rigs),
    // the seeder throttled to 16 KiB/s, and the malicious peer on its own address
    Path image = Files.createDirectories(dir.resolve("honest/img"));
    imageAndCorruptCopy(image);
    TorrentFactory.Created torrent = TorrentFactory.create(image, List.of(), List.of(), PIECE);
    String hash = torrent.infoHash();
    honest = SwarmSession.start(vertx, SwarmSession.Options.loopback("honest")).await();
    honest.add(torrent.torrent(), dir.resolve("honest"), new SwarmSession.AddOptions(16 * 1024, false)).await();
    SwarmSession first = SwarmSession.start(vertx, SwarmSession.Options.loopback("first")).await();
    SwarmSession second = SwarmSession.start(vertx, SwarmSession.Options.loopback("second")).await();
    try {
      Malicious liar = Malicious.start(torrent.torrent(), dir.resolve("bad"));
      malicious.add(liar);
      first.add(torrent.torrent(), dir.resolve("first"), new SwarmSession.AddOptions(0, false)).await();
      second.add(torrent.torrent(), dir.resolve("second"), new SwarmSession.AddOptions(0, false)).await();
      List<String> banned = new CopyOnWriteArrayList<>();
      first.onPeerBanned(ban -> banned.add(ban.address()));

      // WHEN they connect to the seeder, to each other and to the liar
      for (SwarmSession s : List.of(first, second)) {
        s.connectPeer(hash, "127.0.0.1", honest.listenPort()).await();
        s.connectPeer(hash, BAD, liar.port()).await();
      }
      first.connectPeer(hash, "127.0.0.1", second.listenPort()).await();
      await(() -> first.bannedAddresses().contains(BAD), 90, "ban of " + BAD + " by the first downloader");

      // AND the liar comes back on another port, dialling the first downloader and being dialled by it
      liar.stop();
      Malicious again = Malicious.start(torrent.torrent(), dir.resolve("bad"));
      malicious.add(again);
      again.connect("127.0.0.1", first.listenPort());
      first.connectPeer(hash, BAD, again.port()).await();
      await(() -> first.refusedConnections(BAD) >= 2, 30, "two refused connections of " + BAD);
      honest.setUploadLimit(hash, 0).await();
      first.finished(hash).await();
      second.finished(hash).await();

      // THEN both finish byte-identical; 127.0.0.1 was never banned, by either; the liar was banned
      // once and served nothing from its new port
      for (String name : List.of("first", "second")) {
        assertThat(Files.mismatch(image.resolve("disk.img"), dir.resolve(name).resolve("img/disk.img"))).isEqualTo(-1L);
      }
      assertThat(first.bannedAddresses()).containsExactly(BAD);
      assertThat(second.bannedAddresses()).doesNotContain("127.0.0.1");
      assertThat(banned).containsExactly(BAD);
      assertThat(again.uploaded()).isZero();
      // AND the first downloader's counts hold verified data only: everything from 127.0.0.1 (the seeder
      // and the other downloader), the liar's bytes among the discarded ones
      Map<io.boottorrent.core.PeerSource, Long> sources = first.bytesFromPeers(hash).await();
      assertThat(sources.keySet()).allMatch(k -> k.key().startsWith("127.0.0.1:"));
      assertThat(sources.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(SIZE);
      Map<io.boottorrent.core.PeerSource, Long> discarded = first.discardedBytes(hash).await();
      assertThat(discarded.entrySet()).anyMatch(e -> e.getKey().key().startsWith(BAD + ":") && e.getValue() > 0);
      System.out.printf("shared address: first got %s, discarded %s, refused %d connections of %s; second banned %s%n",
          sources, discarded, first.refusedConnections(BAD), BAD, second.bannedAddresses());
    } finally {
      first.close().await();
      second.close().await();
    }
  }

  /** Writes the image's one file and, under dir/bad, a copy with every byte changed; returns the content. */
  private byte[] imageAndCorruptCopy(Path image) throws java.io.IOException {
    byte[] content = new byte[SIZE];
    new Random(51).nextBytes(content);
    Files.write(image.resolve("disk.img"), content);
    byte[] corrupt = content.clone();
    for (int i = 0; i < corrupt.length; i++) {
      corrupt[i] ^= 0x5a;
    }
    Files.write(Files.createDirectories(dir.resolve("bad/img")).resolve("disk.img"), corrupt);
    return content;
  }

  private List<BootEvent> stage(BootStage stage) {
    return events.stream().filter(e -> e.getStage() == stage).toList();
  }

  private static void await(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + what + " within " + seconds + " s");
      }
      Thread.sleep(100);
    }
  }

  /** A tracker that hands every announcer {@link #announced} (compact, BEP 23) and asks for 5 s intervals. */
  private int tracker() {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      String port = req.getParam("port");
      if (port != null) {
        agentPort = Integer.parseInt(port);
        agentAnnounces.incrementAndGet();
      }
      Buffer peers = Buffer.buffer();
      for (String peer : announced) {
        String[] hostPort = peer.split(":");
        for (String octet : hostPort[0].split("\\.")) {
          peers.appendByte((byte) Integer.parseInt(octet));
        }
        peers.appendUnsignedShort(Integer.parseInt(hostPort[1]));
      }
      Buffer body = Buffer.buffer("d8:intervali5e12:min intervali5e5:peers" + peers.length() + ":")
          .appendBuffer(peers).appendString("e");
      req.response().putHeader("Content-Type", "text/plain").end(body);
    }).listen(0, STUBS).await();
    return server.actualPort();
  }

  /** A catalog that assigns {@code image} and serves its torrent, keeping every boot event posted. */
  private String catalog(ImageManifest image, byte[] torrent) {
    return StubCatalog.start(vertx, STUBS, MAC, image, torrent, events, new CopyOnWriteArrayList<>());
  }

  /**
   * The malicious peer: a plain libtorrent session on {@link #BAD} seeding a corrupted copy, in seed
   * mode with hash checks off (seed mode alone verifies a piece on its first request and would stop
   * serving it).
   */
  private static final class Malicious {
    private final SessionManager manager = new SessionManager(false);
    private final AtomicInteger connectAttempts = new AtomicInteger();
    private final AtomicInteger incoming = new AtomicInteger();
    private TorrentHandle handle;
    private int port;
    private volatile long lastUploaded;

    static Malicious start(byte[] torrent, Path savePath) throws InterruptedException {
      Libtorrent.ensureLoaded();
      Malicious m = new Malicious();
      m.open(torrent, savePath);
      return m;
    }

    private void open(byte[] torrent, Path savePath) throws InterruptedException {
      manager.addListener(new AlertListener() {
        @Override
        public int[] types() {
          return new int[] {AlertType.PEER_CONNECT.swig(), AlertType.INCOMING_CONNECTION.swig()};
        }

        @Override
        public void alert(Alert<?> alert) {
          (alert.type() == AlertType.PEER_CONNECT ? connectAttempts : incoming).incrementAndGet();
        }
      });
      SettingsPack sp = new SettingsPack();
      sp.listenInterfaces(BAD + ":0");
      sp.setString(settings_pack.string_types.outgoing_interfaces.swigValue(), BAD);
      sp.setEnableDht(false);
      sp.setEnableLsd(false);
      sp.setBoolean(settings_pack.bool_types.enable_upnp.swigValue(), false);
      sp.setBoolean(settings_pack.bool_types.enable_natpmp.swigValue(), false);
      sp.setBoolean(settings_pack.bool_types.enable_outgoing_utp.swigValue(), false);
      sp.setBoolean(settings_pack.bool_types.enable_incoming_utp.swigValue(), false);
      sp.setBoolean(settings_pack.bool_types.disable_hash_checks.swigValue(), true);
      sp.setBoolean(settings_pack.bool_types.allow_multiple_connections_per_ip.swigValue(), true);
      manager.start(new SessionParams(sp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (manager.swig().listen_port() <= 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      port = manager.swig().listen_port();
      AddTorrentParams params = new AddTorrentParams();
      params.setTorrentInfo(TorrentInfo.bdecode(torrent));
      params.setSavePath(savePath.toString());
      params.setFlags(params.getFlags().or_(TorrentFlags.SEED_MODE).and_(TorrentFlags.AUTO_MANAGED.inv())
          .and_(TorrentFlags.PAUSED.inv()));
      ErrorCode error = new ErrorCode(new error_code());
      handle = new SessionHandle(manager.swig()).addTorrent(params, error);
      if (error.isError()) {
        throw new IllegalStateException("malicious session cannot add the torrent: " + error.getMessage());
      }
    }

    int port() {
      return port;
    }

    void connect(String host, int port) {
      handle.swig().connect_peer(new TcpEndpoint(host, port).swig());
    }

    /** Payload this session served, the last value seen once it is stopped. */
    long uploaded() {
      if (handle != null && handle.isValid()) {
        lastUploaded = new org.libtorrent4j.TorrentStatus(handle.swig().status()).totalPayloadUpload();
      }
      return lastUploaded;
    }

    int connectAttempts() {
      return connectAttempts.get();
    }

    int incomingConnections() {
      return incoming.get();
    }

    void stop() {
      if (handle != null) {
        uploaded();
        handle = null;
        manager.stop();
      }
    }
  }
}
