package io.boottorrent.swarm;

import static io.boottorrent.swarm.SwarmSessionTest.await;
import static io.boottorrent.swarm.SwarmSessionTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.AddTorrentParams;
import org.libtorrent4j.ErrorCode;
import org.libtorrent4j.SessionHandle;
import org.libtorrent4j.SessionManager;
import org.libtorrent4j.SessionParams;
import org.libtorrent4j.SettingsPack;
import org.libtorrent4j.TorrentFlags;
import org.libtorrent4j.TorrentInfo;
import org.libtorrent4j.swig.error_code;
import org.libtorrent4j.swig.settings_pack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streaming reads against real libtorrent sessions on loopback: a seeder capped at 2 MiB/s (a full
 * download of the 32 MiB image takes ~16 s), a downloader reading ranges while it downloads.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamingReadTest {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingReadTest.class);
  private static final int MIB = 1024 * 1024;
  private static final int SIZE = 32 * MIB;
  private static final String BAD = "127.0.0.61";

  @TempDir static Path shared;
  static Vertx vertx;
  static Path seedRoot;
  static byte[] disk;
  static byte[] kernel;
  static TorrentFactory.Created torrent;
  static int diskIndex;
  static int kernelIndex;

  @TempDir Path dir;
  private final List<SwarmSession> sessions = new ArrayList<>();
  private SessionManager liar;

  @BeforeAll
  static void createPayload() throws Exception {
    vertx = Vertx.vertx();
    seedRoot = shared.resolve("seed");
    Path image = Files.createDirectories(seedRoot.resolve("stream"));
    disk = random(SIZE, 11);
    kernel = random(300_001, 12);
    Files.write(image.resolve("disk.img"), disk);
    Files.write(image.resolve("vmlinuz"), kernel);
    torrent = TorrentFactory.create(image, List.of(), List.of(), 0);
    TorrentInfo info = TorrentInfo.bdecode(torrent.torrent());
    for (int i = 0; i < info.numFiles(); i++) {
      if (info.files().filePath(i).endsWith("disk.img")) {
        diskIndex = i;
      } else {
        kernelIndex = i;
      }
    }
  }

  @AfterAll
  static void closeVertx() {
    await(vertx.close());
  }

  @AfterEach
  void close() {
    if (liar != null) {
      liar.stop();
    }
    await(Future.all(sessions.stream().map(SwarmSession::close).toList()));
  }

  @Test
  void readsAtTheEndMiddleAndStartReturnTheFilesBytesLongBeforeTheDownloadCompletesAndSequentialReadsReadAhead() {
    // GIVEN a seeder capped at 2 MiB/s and a streaming downloader connected to it, reading ahead
    // 256 KiB .. 2 MiB
    SwarmSession seeder = start("stream-seeder");
    await(seeder.add(torrent.torrent(), seedRoot, new SwarmSession.AddOptions(2L * MIB, false)));
    await(seeder.finished(torrent.infoHash()));
    SwarmSession peer = start("stream-peer");
    String hash = await(peer.add(torrent.torrent(), dir.resolve("peer"),
        new SwarmSession.AddOptions(0, false).streaming(new SwarmSession.Streaming(60_000, 256 * 1024, 2L * MIB))));
    long started = System.nanoTime();
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));

    // WHEN it reads 64 KiB at the end, the middle and the start of the disk, and the kernel's last bytes
    long[] offsets = {SIZE - 65_536, SIZE / 2 + 12_345, 0};
    for (long offset : offsets) {
      long t0 = System.nanoTime();
      Buffer got = await(peer.read(hash, diskIndex, offset, 65_536));
      double progress = await(peer.status(hash)).getProgress();
      LOG.info("MEASURED: 64 KiB at {} in {} ms, torrent {}% downloaded", offset,
          (System.nanoTime() - t0) / 1_000_000, String.format("%.1f", progress * 100));
      // THEN each read returns exactly the file's bytes, long before the download is done
      assertThat(got.getBytes()).isEqualTo(Arrays.copyOfRange(disk, (int) offset, (int) offset + 65_536));
      assertThat(progress).as("progress when the read at %d returned", offset).isLessThan(0.5);
    }
    Buffer tail = await(peer.read(hash, kernelIndex, kernel.length - 1001, 1001));
    assertThat(tail.getBytes()).isEqualTo(Arrays.copyOfRange(kernel, kernel.length - 1001, kernel.length));

    // WHEN it streams 4 MiB sequentially from 8 MiB in 128 KiB reads
    long streamAt = 8L * MIB;
    int chunk = 128 * 1024;
    for (int i = 0; i < 32; i++) {
      long offset = streamAt + (long) i * chunk;
      Buffer got = await(peer.read(hash, diskIndex, offset, chunk));
      assertThat(got.getBytes()).isEqualTo(Arrays.copyOfRange(disk, (int) offset, (int) offset + chunk));
    }
    double afterStream = await(peer.status(hash)).getProgress();
    SwarmSession.StreamStats stats = await(peer.streamStats(hash));
    LOG.info("MEASURED: stream stats after {} s: {} (torrent {}% downloaded)",
        String.format("%.1f", (System.nanoTime() - started) / 1e9), stats, String.format("%.1f", afterStream * 100));

    // THEN pieces came on demand and by read-ahead, and the pieces just after the stream are had well
    // ahead of the rarest-first rest
    assertThat(stats.onDemandPieces()).isPositive();
    assertThat(stats.readAheadPieces()).as("pieces that arrived on a read-ahead deadline").isPositive();
    assertThat(stats.waitedReads()).isPositive();
    int piece = torrent.pieceLength();
    int afterLast = (int) ((streamAt + 32L * chunk) / piece);
    int window = (int) (MIB / piece); // the first megabyte after the stream: read-ahead deadlines
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    BitSet have = await(peer.havePieces(hash));
    while (have.get(afterLast, afterLast + window).cardinality() < window && System.nanoTime() < waitUntil) {
      sleep(100);
      have = await(peer.havePieces(hash));
    }
    double overall = (double) have.cardinality() / torrent.pieces();
    LOG.info("MEASURED: the {} pieces after the stream had {} ms after it, with {}% of all pieces",
        have.get(afterLast, afterLast + window).cardinality(),
        (System.nanoTime() - waitUntil + TimeUnit.SECONDS.toNanos(10)) / 1_000_000,
        String.format("%.1f", overall * 100));
    assertThat(have.get(afterLast, afterLast + window).cardinality()).isEqualTo(window);
    assertThat(overall).as("share of the torrent had when the read-ahead megabyte was complete").isLessThan(0.85);
    assertThat(afterStream).as("the download is still going on").isLessThan(0.9);
    // AND the rest downloads in the background: everything completes, identical
    await(peer.finished(hash));
    assertThat(await(peer.streamStats(hash)).backgroundPieces()).isPositive();
  }

  @Test
  void theBackgroundDownloadWaitsUntilTheReadsPauseAndTheTorrentFinishesOnlyWhenWhole() {
    // GIVEN an uncapped seeder and a streaming downloader that holds its background back (the defaults:
    // until the reads pause for 2 s)
    SwarmSession seeder = start("hold-seeder");
    await(seeder.add(torrent.torrent(), seedRoot, new SwarmSession.AddOptions(0, false)));
    await(seeder.finished(torrent.infoHash()));
    SwarmSession peer = start("hold-peer");
    String hash = await(peer.add(torrent.torrent(), dir.resolve("peer"),
        new SwarmSession.AddOptions(0, false).streaming(SwarmSession.Streaming.defaults())));
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));
    // WHEN it reads 64 KiB in the middle, and keeps reading for a while (every 0.5 s)
    long piece = torrent.pieceLength();
    for (int i = 0; i < 4; i++) {
      long offset = SIZE / 2 + i * piece;
      assertThat(await(peer.read(hash, diskIndex, offset, 65_536)).getBytes())
          .isEqualTo(Arrays.copyOfRange(disk, (int) offset, (int) offset + 65_536));
      sleep(500);
    }
    // THEN only what the reads needed (and their read-ahead) came, although the link is free
    int had = await(peer.havePieces(hash)).cardinality();
    long readAhead = SwarmSession.Streaming.DEFAULT_READ_AHEAD_MAX_BYTES / piece + 1;
    assertThat(had).as("pieces had while reading, of %d", torrent.pieces()).isLessThanOrEqualTo((int) (8 + readAhead))
        .isLessThan(torrent.pieces() / 2);
    assertThat(peer.finished(hash).isComplete()).as("finished while the background is held").isFalse();
    // AND once the reads pause, the rest downloads and the torrent finishes, whole
    await(peer.finished(hash));
    assertThat(await(peer.havePieces(hash)).cardinality()).isEqualTo(torrent.pieces());
  }

  @Test
  void aReadThatMissesAPieceAfterTheBackgroundResumedHoldsItBackAgain() {
    // GIVEN a seeder capped at 1 MiB/s (the background takes ~30 s), and a streaming downloader that
    // holds its background until the reads pause for 300 ms
    SwarmSession seeder = start("rehold-seeder");
    await(seeder.add(torrent.torrent(), seedRoot, new SwarmSession.AddOptions(1 << 20, false)));
    await(seeder.finished(torrent.infoHash()));
    SwarmSession peer = start("rehold-peer");
    SwarmSession.Streaming streaming = new SwarmSession.Streaming(60_000, 0, 0, 300, 60_000);
    String hash = await(peer.add(torrent.torrent(), dir.resolve("peer"),
        new SwarmSession.AddOptions(0, false).streaming(streaming)));
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));
    // WHEN it reads the start, pauses (the background resumes), then reads the middle
    assertThat(await(peer.read(hash, diskIndex, 0, 65_536)).getBytes()).isEqualTo(Arrays.copyOfRange(disk, 0, 65_536));
    sleep(1_500);
    assertThat(await(peer.streamStats(hash)).backgroundHolds()).as("held at the add only").isEqualTo(1);
    java.util.BitSet had = await(peer.havePieces(hash));
    // a piece not here yet, and none of its neighbours either: not one the resumed background is receiving
    // (it fetches runs of adjacent pieces; the clean-clone CI once read one that arrived meanwhile)
    int gap = torrent.pieces() / 2;
    while (gap < torrent.pieces() - 5 && had.get(gap - 4, gap + 5).cardinality() > 0) {
      gap++;
    }
    long middle = (long) gap * torrent.pieceLength();
    assertThat(await(peer.read(hash, diskIndex, middle, 65_536)).getBytes())
        .isEqualTo(Arrays.copyOfRange(disk, (int) middle, (int) middle + 65_536));
    // THEN that read held the background back again (it missed its piece)
    assertThat(await(peer.streamStats(hash)).backgroundHolds()).as("held at the add, and again for the miss")
        .isEqualTo(2);
    // AND once the reads pause again it resumes: more pieces arrive than the two reads needed (within
    // 10 s: the clean-clone CI once saw none in the first 2 s after the 300 ms pause)
    int afterReads = await(peer.havePieces(hash)).cardinality();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (await(peer.havePieces(hash)).cardinality() <= afterReads && System.nanoTime() < deadline) {
      sleep(100);
    }
    assertThat(await(peer.havePieces(hash)).cardinality()).as("pieces, up to 10 s after the reads paused")
        .isGreaterThan(afterReads);
  }

  @Test
  void theFirstBootsReadsBecomeAProfileThatALaterPeerFetchesBeforeItsReadsAsk() {
    // GIVEN a seeder capped at 1 MiB/s (a full download takes ~32 s) and a streaming peer that holds its
    // background until its reads pause for 500 ms
    SwarmSession seeder = start("profile-seeder");
    await(seeder.add(torrent.torrent(), seedRoot, new SwarmSession.AddOptions(1 << 20, false)));
    await(seeder.finished(torrent.infoHash()));
    SwarmSession.Streaming streaming = new SwarmSession.Streaming(60_000, 0, 0, 500, 60_000);
    SwarmSession first = start("profile-first");
    String hash = await(first.add(torrent.torrent(), dir.resolve("first"),
        new SwarmSession.AddOptions(0, false).streaming(streaming)));
    await(first.connectPeer(hash, "127.0.0.1", seeder.listenPort()));
    Future<List<SwarmSession.FirstRead>> recorded = first.bootProfile(hash);
    // WHEN it reads the disk's pieces 7, 2 (across into 3) and 7 again, then pauses
    int piece = torrent.pieceLength();
    long start = lonelyOffset(diskIndex); // the disk's first byte in the torrent's byte space
    int d = (int) ((start + piece - 1) / piece); // its first whole piece
    await(first.read(hash, diskIndex, (d + 7L) * piece - start, 4096));
    await(first.read(hash, diskIndex, (d + 3L) * piece - start - 2048, 4096));
    await(first.read(hash, diskIndex, (d + 7L) * piece - start + 8192, 4096));
    assertThat(recorded.isComplete()).as("not before the reads paused").isFalse();
    // THEN its profile is the pieces in the order first read, each once, with when (non-decreasing)
    List<SwarmSession.FirstRead> profile = await(recorded);
    assertThat(profile).extracting(SwarmSession.FirstRead::piece).containsExactly(d + 7, d + 2, d + 3);
    assertThat(profile).extracting(SwarmSession.FirstRead::atMs).isSorted();
    // AND a later streaming peer given that profile has those pieces before any read, from the seeder
    // (the first peer is gone), while its background stays held: no other piece arrives
    await(first.close());
    SwarmSession later = start("profile-later");
    String again = await(later.add(torrent.torrent(), dir.resolve("later"),
        new SwarmSession.AddOptions(0, false).streaming(new SwarmSession.Streaming(60_000, 0, 0, 600_000, 600_000))));
    await(later.connectPeer(again, "127.0.0.1", seeder.listenPort()));
    assertThat(await(later.prefetch(again, List.of(d + 7, d + 2, d + 3, d + 7, -1, 1_000_000)))).as("asked for").isEqualTo(3);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (await(later.havePieces(again)).cardinality() < 3 && System.nanoTime() < deadline) {
      sleep(50);
    }
    java.util.BitSet had = await(later.havePieces(again));
    assertThat(had.stream().boxed().toList()).as("pieces had before any read").containsExactly(d + 2, d + 3, d + 7);
    SwarmSession.StreamStats stats = await(later.streamStats(again));
    assertThat(stats.prefetchedPieces()).isEqualTo(3);
    assertThat(stats.reads()).isZero();
    // AND its reads of them do not wait for the swarm
    int at = (int) ((d + 7L) * piece - start);
    assertThat(await(later.read(again, diskIndex, at, 4096)).getBytes())
        .isEqualTo(Arrays.copyOfRange(disk, at, at + 4096));
    assertThat(await(later.streamStats(again)).onDemandPieces()).isZero();
  }

  @Test
  void aSmallImageTheReadsFetchWholeWhileTheBackgroundIsHeldIsFinished() throws Exception {
    // GIVEN a 2 MiB image, a seeder, and a streaming peer whose background stays held for 10 minutes
    Path image = Files.createDirectories(dir.resolve("small-seed/small"));
    byte[] small = random(2 * MIB, 13);
    Files.write(image.resolve("disk.img"), small);
    TorrentFactory.Created smallTorrent = TorrentFactory.create(image, List.of(), List.of(), 0);
    SwarmSession seeder = start("small-seeder");
    await(seeder.add(smallTorrent.torrent(), dir.resolve("small-seed"), new SwarmSession.AddOptions(0, false)));
    await(seeder.finished(smallTorrent.infoHash()));
    SwarmSession peer = start("small-peer");
    String hash = await(peer.add(smallTorrent.torrent(), dir.resolve("small-peer"), new SwarmSession.AddOptions(0, false)
        .streaming(new SwarmSession.Streaming(60_000, 0, 0, 600_000, 600_000))));
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));
    // WHEN its reads ask for every byte (the torrent seeds while the hold lasts)
    assertThat(await(peer.read(hash, 0, 0, small.length)).getBytes()).isEqualTo(small);
    // THEN it is finished: no later state change would come (the agent waited for it forever)
    assertThat(peer.finished(hash).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void aHeldStreamingPeerKeepsItsConnectionToTheSeederBetweenReads() {
    // GIVEN a seeder at 16 MiB/s and a streaming peer whose background stays held: between reads it
    // has every piece it wants, which libtorrent calls finished (with its default, both ends then
    // closed the connection as "upload to upload" and each read after a pause waited for a reconnect)
    SwarmSession seeder = start("keep-seeder");
    await(seeder.add(torrent.torrent(), seedRoot, new SwarmSession.AddOptions(16L * MIB, false)));
    await(seeder.finished(torrent.infoHash()));
    SwarmSession peer = start("keep-peer");
    String hash = await(peer.add(torrent.torrent(), dir.resolve("peer"), new SwarmSession.AddOptions(0, false)
        .streaming(new SwarmSession.Streaming(60_000, 0, 0, 600_000, 600_000))));
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));
    // WHEN it reads 64 KiB at four places, 2 s apart
    List<Long> tookMs = new ArrayList<>();
    for (long offset : new long[] {0, SIZE / 4, SIZE / 2, 3L * SIZE / 4}) {
      long t0 = System.nanoTime();
      assertThat(await(peer.read(hash, diskIndex, offset, 65_536)).getBytes())
          .isEqualTo(Arrays.copyOfRange(disk, (int) offset, (int) offset + 65_536));
      tookMs.add((System.nanoTime() - t0) / 1_000_000);
      sleep(2_000);
      // THEN the seeder is still connected after each pause
      assertThat(await(peer.status(hash)).getPeers()).as("peers, 2 s after the read at %d", offset).isEqualTo(1);
    }
    LOG.info("MEASURED: 64 KiB reads 2 s apart, held background, seeder at 16 MiB/s: {} ms", tookMs);
    // AND the stats say when each read was called, in ms since the add: 2 s and more apart
    List<Long> starts = await(peer.streamStats(hash)).recentWaitStartsMs();
    assertThat(starts).hasSize(4);
    for (int i = 1; i < starts.size(); i++) {
      assertThat(starts.get(i) - starts.get(i - 1)).as("read %d after read %d", i, i - 1).isGreaterThanOrEqualTo(2_000);
    }
  }

  @Test
  void aReadReturnsOnlyCorrectBytesWhenAPeerSendsCorruptPieces() throws Exception {
    // GIVEN an honest seeder throttled to 256 KiB/s, and a liar serving a corrupted copy at full speed
    SwarmSession seeder = start("honest");
    await(seeder.add(torrent.torrent(), seedRoot, new SwarmSession.AddOptions(256 * 1024, false)));
    await(seeder.finished(torrent.infoHash()));
    int liarPort = liar(dir.resolve("bad"));
    SwarmSession peer = start("victim");
    // (no background hold: the liar's pieces arrive in the background, before any read)
    String hash = await(peer.add(torrent.torrent(), dir.resolve("peer"),
        new SwarmSession.AddOptions(0, false).streaming(new SwarmSession.Streaming(
            SwarmSession.Streaming.DEFAULT_READ_TIMEOUT_MS, MIB, 16L * MIB))));

    await(peer.connectPeer(hash, BAD, liarPort));
    await(peer.connectPeer(hash, "127.0.0.1", seeder.listenPort()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (await(peer.streamStats(hash)).failedPieces().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    List<Integer> failed = await(peer.streamStats(hash)).failedPieces();
    assertThat(failed).as("pieces of the liar's that failed their hash check").isNotEmpty();

    // WHEN it reads a piece that failed (libtorrent wrote the liar's blocks to the file before hashing
    // them), the start and the middle
    long piece = torrent.pieceLength();
    long failedAt = failed.get(0) * piece; // in the torrent's byte space: disk.img or vmlinuz
    for (int file : new int[] {diskIndex, kernelIndex}) {
      byte[] content = file == diskIndex ? disk : kernel;
      long start = lonelyOffset(file);
      if (failedAt >= start && failedAt < start + content.length) {
        long offset = failedAt - start;
        int length = (int) Math.min(piece + 1000, content.length - offset);
        assertThat(await(peer.read(hash, file, offset, length)).getBytes()).as("the failed piece %d", failed.get(0))
            .isEqualTo(Arrays.copyOfRange(content, (int) offset, (int) offset + length));
      }
    }
    for (long offset : new long[] {0, SIZE / 2}) {
      int length = (int) piece + 1000;
      Buffer got = await(peer.read(hash, diskIndex, offset, length));
      // THEN the bytes are the honest ones
      assertThat(got.getBytes()).as("%d bytes at %d", length, offset)
          .isEqualTo(Arrays.copyOfRange(disk, (int) offset, (int) offset + length));
    }
    SwarmSession.StreamStats stats = await(peer.streamStats(hash));
    LOG.info("MEASURED: with a corrupt peer: {}, banned {}", stats, peer.bannedAddresses());
    assertThat(peer.bannedAddresses()).contains(BAD);
  }

  @Test
  void aReadNoPeerCanServeTimesOutNamingThePieceAndBadReadsAreRefused() {
    // GIVEN a streaming torrent with no peer, reads timing out after 1 s, and a plain torrent
    SwarmSession lonely = start("lonely");
    String hash = await(lonely.add(torrent.torrent(), dir.resolve("lonely"),
        new SwarmSession.AddOptions(0, false).streaming(new SwarmSession.Streaming(1000, 0, 0))));
    int piece = torrent.pieceLength();

    // WHEN it reads 10 bytes in the third piece of the disk, THEN the read fails naming that piece
    long offset = 2L * piece + 5;
    int expected = (int) ((lonelyOffset(diskIndex) + offset) / piece);
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> await(lonely.read(hash, diskIndex, offset, 10)))
        .hasMessageContaining("timed out after 1000 ms waiting for piece " + expected);
    assertThat((System.nanoTime() - t0) / 1e9).isBetween(0.9, 30.0);
    // AND reads outside the file, of a file that does not exist, or of a torrent not added for streaming fail
    assertThatThrownBy(() -> await(lonely.read(hash, kernelIndex, kernel.length - 5, 6)))
        .hasMessageContaining("outside vmlinuz (" + kernel.length + " bytes)");
    assertThatThrownBy(() -> await(lonely.read(hash, 2, 0, 1))).hasMessageContaining("file index 2 out of range");
    assertThat(await(lonely.read(hash, diskIndex, 0, 0)).length()).isZero();
    SwarmSession plain = start("plain");
    String same = await(plain.add(torrent.torrent(), dir.resolve("plain"), new SwarmSession.AddOptions(0, false)));
    assertThatThrownBy(() -> await(plain.read(same, diskIndex, 0, 1))).hasMessageContaining("not added for streaming");
    assertThatThrownBy(() -> new SwarmSession.AddOptions(0, false, new PieceStripe(0, 2), 0,
        SwarmSession.Streaming.defaults())).hasMessageContaining("no piece stripe");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static long lonelyOffset(int fileIndex) {
    return TorrentInfo.bdecode(torrent.torrent()).files().fileOffset(fileIndex);
  }

  /** A plain libtorrent session on {@link #BAD} seeding every byte XORed, hash checks off; its port. */
  private int liar(Path savePath) throws Exception {
    byte[] corrupt = disk.clone();
    for (int i = 0; i < corrupt.length; i++) {
      corrupt[i] ^= 0x5a;
    }
    Path image = Files.createDirectories(savePath.resolve("stream"));
    Files.write(image.resolve("disk.img"), corrupt);
    byte[] badKernel = kernel.clone();
    badKernel[0] ^= 1;
    Files.write(image.resolve("vmlinuz"), badKernel);
    liar = new SessionManager(false);
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
    liar.start(new SessionParams(sp));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (liar.swig().listen_port() <= 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    AddTorrentParams params = new AddTorrentParams();
    params.setTorrentInfo(TorrentInfo.bdecode(torrent.torrent()));
    params.setSavePath(savePath.toString());
    params.setFlags(params.getFlags().or_(TorrentFlags.SEED_MODE).and_(TorrentFlags.AUTO_MANAGED.inv())
        .and_(TorrentFlags.PAUSED.inv()));
    ErrorCode error = new ErrorCode(new error_code());
    new SessionHandle(liar.swig()).addTorrent(params, error);
    assertThat(error.isError()).as("liar adds the torrent: %s", error.getMessage()).isFalse();
    return liar.swig().listen_port();
  }

  private SwarmSession start(String name) {
    SwarmSession s = await(SwarmSession.start(vertx, SwarmSession.Options.loopback(name)));
    sessions.add(s);
    return s;
  }
}
