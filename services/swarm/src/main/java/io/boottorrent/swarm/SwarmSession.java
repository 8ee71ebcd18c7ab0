package io.boottorrent.swarm;

import io.boottorrent.core.PeerSource;
import io.boottorrent.proto.TorrentStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.libtorrent4j.AddTorrentParams;
import org.libtorrent4j.Address;
import org.libtorrent4j.ErrorCode;
import org.libtorrent4j.PieceIndexBitfield;
import org.libtorrent4j.Priority;
import org.libtorrent4j.SessionHandle;
import org.libtorrent4j.SessionManager;
import org.libtorrent4j.SessionParams;
import org.libtorrent4j.SettingsPack;
import org.libtorrent4j.TcpEndpoint;
import org.libtorrent4j.TorrentFlags;
import org.libtorrent4j.TorrentHandle;
import org.libtorrent4j.TorrentInfo;
import org.libtorrent4j.WebSeedEntry;
import org.libtorrent4j.swig.error_code;
import org.libtorrent4j.swig.ip_filter;
import org.libtorrent4j.swig.settings_pack;
import org.libtorrent4j.swig.torrent_flags_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One libtorrent session (the seeder's or an agent's) behind a Vert.x-friendly API.
 *
 * <p>Threading: every libtorrent call runs on a Vert.x worker ({@code executeBlocking}) or on
 * libtorrent4j's alert thread, never on an event loop. Futures complete on the caller's context.
 *
 * <p>This class keeps the lifecycle (start, close, the lock that keeps worker calls off a closing
 * session) and the public API; the pieces behind it are package-private: SessionSettings (libtorrent
 * settings for a boot LAN — no DHT, UPnP or NAT-PMP, TCP only, no queueing, rate limits that hold for
 * LAN peers too — and why), WebSeeds (the URLs libtorrent gets for BEP 19 web seeds and the endpoints
 * counted as theirs), BlockAccounting (a torrent's bytes per source, behind {@link #bytesFromPeers}),
 * AlertRouter (libtorrent's alerts, on its alert thread, to the torrents and the session's futures),
 * PeerBans (which addresses are banned for corrupt data, {@link #onPeerBanned}).
 */
public final class SwarmSession {
  private static final Logger LOG = LoggerFactory.getLogger(SwarmSession.class);
  private static final long LISTEN_TIMEOUT_MS = 10_000;
  /** How long after a ban {@link #onPeerBanned} handlers hear of it (see {@link #ban}). */
  static final long BAN_REPORT_DELAY_MS = 1_000;

  /**
   * How the session listens and limits itself.
   *
   * @param listenHost interface to listen on ("0.0.0.0" all IPv4, "127.0.0.1" in tests)
   * @param listenPort TCP port, 0 = any free port
   * @param lsd local service discovery (multicast on the LAN)
   * @param uploadLimit session-wide bytes/s, 0 = unlimited (LAN peers included)
   * @param downloadLimit session-wide bytes/s, 0 = unlimited (LAN peers included)
   * @param name for logs
   * @param maxRequestsPerPeer libtorrent {@code max_allowed_in_request_queue}: how many block requests
   *     this session accepts queued from one peer (a seeder with a short queue sends fewer duplicate
   *     pieces); 0 = libtorrent's default (2000)
   * @param requestQueueSeconds libtorrent {@code request_queue_time}: how many seconds of download this
   *     session keeps requested from each peer; 0 = libtorrent's default (3)
   */
  public record Options(String listenHost, int listenPort, boolean lsd, long uploadLimit, long downloadLimit,
                        String name, int maxRequestsPerPeer, int requestQueueSeconds) {
    public Options {
      listenHost = listenHost == null || listenHost.isBlank() ? "0.0.0.0" : listenHost.trim();
      if (listenPort < 0 || listenPort > 65_535) {
        throw new IllegalArgumentException("listenPort must be 0..65535, got " + listenPort);
      }
      if (uploadLimit < 0 || downloadLimit < 0) {
        throw new IllegalArgumentException("rate limits must be >= 0 (0 = unlimited)");
      }
      if (maxRequestsPerPeer < 0) {
        throw new IllegalArgumentException(
            "maxRequestsPerPeer must be >= 0 (0 = libtorrent's default), got " + maxRequestsPerPeer);
      }
      if (requestQueueSeconds < 0) {
        throw new IllegalArgumentException(
            "requestQueueSeconds must be >= 0 (0 = libtorrent's default), got " + requestQueueSeconds);
      }
      name = name == null || name.isBlank() ? "swarm" : name;
    }

    /** libtorrent's request queues left at its defaults. */
    public Options(String listenHost, int listenPort, boolean lsd, long uploadLimit, long downloadLimit, String name) {
      this(listenHost, listenPort, lsd, uploadLimit, downloadLimit, name, 0, 0);
    }

    /** 127.0.0.1, any free port, no LSD, no limits: what tests and single-machine demos use. */
    public static Options loopback(String name) {
      return new Options("127.0.0.1", 0, false, 0, 0, name);
    }

    /** The same with libtorrent's {@code max_allowed_in_request_queue} / {@code request_queue_time} set. */
    public Options withRequestQueues(int maxRequestsPerPeer, int requestQueueSeconds) {
      return new Options(listenHost, listenPort, lsd, uploadLimit, downloadLimit, name, maxRequestsPerPeer,
          requestQueueSeconds);
    }
  }

  /**
   * Per-torrent options.
   *
   * @param uploadLimit bytes/s this torrent uploads at most, 0 = no cap; holds for LAN/loopback peers
   * @param webSeeds false: drop the torrent's url-list (BEP 19); {@link #addWebSeed} adds them later
   * @param stripe the pieces to ask for first (see {@link PieceStripe}); null: rarest first
   * @param verifiedAtMs when the files under the save path were verified complete (the catalog's import
   *     time, {@code ImageManifest.created_at_ms}); when every file still has its size and was last
   *     modified no later than that, the torrent is added in libtorrent's seed mode — no hash check at
   *     add, each piece hashed the first time a peer asks for it (a failure leaves seed mode and
   *     re-checks) — so a restarted seeder seeds at once instead of re-reading the whole payload;
   *     0: libtorrent checks the files first
   * @param streaming non-null: the torrent is read while it downloads ({@link #read}); priorities stay
   *     libtorrent's normal ones (no stripe: a stripe's low priorities would hold back pieces a read needs)
   */
  public record AddOptions(long uploadLimit, boolean webSeeds, PieceStripe stripe, long verifiedAtMs,
                           Streaming streaming) {
    public AddOptions {
      if (streaming != null && stripe != null) {
        throw new IllegalArgumentException("a streaming torrent takes no piece stripe (got " + stripe + ")");
      }
      if (uploadLimit < 0) {
        throw new IllegalArgumentException("uploadLimit must be >= 0 (0 = none)");
      }
      if (verifiedAtMs < 0) {
        throw new IllegalArgumentException("verifiedAtMs must be >= 0 (0 = check the files), got " + verifiedAtMs);
      }
    }

    public AddOptions(long uploadLimit, boolean webSeeds, PieceStripe stripe, long verifiedAtMs) {
      this(uploadLimit, webSeeds, stripe, verifiedAtMs, null);
    }

    public AddOptions(long uploadLimit, boolean webSeeds, PieceStripe stripe) {
      this(uploadLimit, webSeeds, stripe, 0);
    }

    /** The same without a stripe, read while it downloads ({@link #read}). */
    public AddOptions streaming(Streaming streaming) {
      return new AddOptions(uploadLimit, webSeeds, null, verifiedAtMs, streaming);
    }

    public AddOptions(long uploadLimit, boolean webSeeds) {
      this(uploadLimit, webSeeds, null);
    }

    public static AddOptions defaults() {
      return new AddOptions(0, true);
    }
  }

  /**
   * How a streaming torrent's reads wait and read ahead (see {@link #read}).
   *
   * @param readTimeoutMs a read still missing a piece after this long fails, naming the piece
   * @param readAheadInitialBytes read-ahead after the first sequential read (doubling while reads stay
   *     sequential)
   * @param readAheadMaxBytes cap of the read-ahead window
   */
  public record Streaming(long readTimeoutMs, long readAheadInitialBytes, long readAheadMaxBytes,
                          long backgroundQuietMs, long backgroundMaxHoldMs) {
    public static final long DEFAULT_READ_TIMEOUT_MS = 60_000;
    /** The background download waits until the reads pause this long (a boot read its kernel and initrd). */
    public static final long DEFAULT_BACKGROUND_QUIET_MS = 2_000;
    /** … or this long at most. */
    public static final long DEFAULT_BACKGROUND_MAX_HOLD_MS = 60_000;

    /** Without holding the background download back. */
    public Streaming(long readTimeoutMs, long readAheadInitialBytes, long readAheadMaxBytes) {
      this(readTimeoutMs, readAheadInitialBytes, readAheadMaxBytes, 0, 0);
    }
    public static final long DEFAULT_READ_AHEAD_INITIAL_BYTES = 1L << 20;
    public static final long DEFAULT_READ_AHEAD_MAX_BYTES = 16L << 20;

    public Streaming {
      if (readTimeoutMs <= 0) {
        throw new IllegalArgumentException("readTimeoutMs must be > 0, got " + readTimeoutMs);
      }
      if (readAheadInitialBytes < 0 || readAheadMaxBytes < readAheadInitialBytes) {
        throw new IllegalArgumentException("read-ahead must be 0 <= readAheadInitialBytes <= readAheadMaxBytes, got "
            + readAheadInitialBytes + " and " + readAheadMaxBytes);
      }
    }

    public static Streaming defaults() {
      return new Streaming(DEFAULT_READ_TIMEOUT_MS, DEFAULT_READ_AHEAD_INITIAL_BYTES, DEFAULT_READ_AHEAD_MAX_BYTES,
          DEFAULT_BACKGROUND_QUIET_MS, DEFAULT_BACKGROUND_MAX_HOLD_MS);
    }

    ReadPlanner.Options planning() {
      ReadPlanner.Options d = ReadPlanner.Options.defaults();
      return new ReadPlanner.Options(d.onDemandMs(), d.readAheadMs(), d.stepMs(), readAheadInitialBytes,
          readAheadMaxBytes);
    }
  }

  /**
   * Counters of a streaming torrent: pieces that arrived while a read waited for them (on demand),
   * with a read-ahead deadline and no read waiting yet, or neither (libtorrent's background,
   * rarest-first); how long the reads waited (from the call to the bytes; the last 1000, each with when
   * it was called, in ms since the torrent was added); pieces that failed their hash
   * check (the first 1000 of them by index), and those of them a read was waiting for; how many times
   * the background download was held back (at the add, and again for each read that missed a piece
   * within the hold's time; 0 without a hold); pieces that arrived after {@link #prefetch} asked for
   * them, before any read did.
   */
  public record StreamStats(long reads, long onDemandPieces, long readAheadPieces, long backgroundPieces,
                            long waitedReads, long totalWaitMs, long maxWaitMs, long hashFailures,
                            long hashFailuresReadsWaitedFor, List<Integer> failedPieces,
                            List<Long> recentWaitsMs, List<Long> recentWaitStartsMs, long backgroundHolds,
                            long prefetchedPieces) {}

  /** One entry of a boot profile: a piece a streaming torrent's reads touched first, {@code atMs} after the add. */
  public record FirstRead(int piece, long atMs) {}

  private final Vertx vertx;
  private final Options options;
  /**
   * Sessions of one JVM start and stop one at a time. Sixteen agents starting theirs at once in one
   * JVM aborted it once in seven runs ("double free or corruption", glibc, in ScaleOutStormTest);
   * libtorrent's session set-up is not safe to run concurrently (frostwire-jlibtorrent#245: sessions
   * started in a loop crash in OpenSSL's set-up). A start takes milliseconds; the lock costs nothing else.
   */
  private static final Object START_STOP = new Object();
  /** libtorrent's request_queue_time once a streaming torrent is added (see {@link #add}). */
  static final int STREAMING_REQUEST_QUEUE_SECONDS = 3;

  private final SessionManager manager = new SessionManager(false);
  private final Map<String, Torrent> torrents = new ConcurrentHashMap<>();
  /** Torrents removed with deleteFiles, waiting for torrent_deleted. */
  private final Map<String, Torrent> deleting = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> listening = new CompletableFuture<>();
  /** Adds run one at a time: "already there?" and "register" must not interleave. */
  private final Object addLock = new Object();
  /** Worker calls into libtorrent hold the read lock; close() takes the write lock to delete the session. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private volatile int listenPort;
  private volatile boolean closed;
  private final PeerBans bans = new PeerBans();
  private final List<Handler<PeerBan>> banHandlers = new CopyOnWriteArrayList<>();

  private SwarmSession(Vertx vertx, Options options) {
    this.vertx = vertx;
    this.options = options;
  }

  /** Starts a session and waits until it listens; fails if the port cannot be bound. */
  public static Future<SwarmSession> start(Vertx vertx, Options options) {
    return vertx.executeBlocking(() -> {
      Libtorrent.ensureLoaded();
      SwarmSession session = new SwarmSession(vertx, options);
      session.open();
      return session;
    }, false);
  }

  public Options options() {
    return options;
  }

  /** The TCP port peers connect to (the bound one when {@link Options#listenPort} was 0). */
  public int listenPort() {
    return listenPort;
  }

  public Future<String> add(byte[] torrent, Path savePath) {
    return add(torrent, savePath, AddOptions.defaults());
  }

  /**
   * Adds a torrent, started and not auto-managed: libtorrent checks what is already under
   * {@code savePath} (a complete copy seeds at once) and downloads the rest. Adding a torrent that is
   * already in the session changes nothing. Returns the v1 info-hash (40 lowercase hex).
   */
  public Future<String> add(byte[] torrent, Path savePath, AddOptions options) {
    if (torrent == null || torrent.length == 0) {
      return Future.failedFuture(new IllegalArgumentException("empty torrent"));
    }
    return blocking(() -> {
      synchronized (addLock) {
        return addNow(torrent, savePath.toAbsolutePath().normalize(), options);
      }
    });
  }

  /** Adds a BEP 19 web seed (a URL ending in "/" for multi-file torrents: URL + name + "/" + path). */
  public Future<Void> addWebSeed(String infoHash, String url) {
    return withTorrent(infoHash).compose(t -> blocking(() -> {
      t.handle.addUrlSeed(WebSeeds.requestUrl(url, t.oneFilePath));
      WebSeeds.register(options.name(), t, url);
      LOG.info("[{}] {}: web seed {}", options.name(), t.name, url);
      return null;
    }));
  }

  /**
   * Announces to the trackers now (or as soon as their min interval allows), for fresh peers and
   * fresh swarm counts ({@link TorrentStatus#getSwarmLeechers()}).
   */
  public Future<Void> reannounce(String infoHash) {
    return withTorrent(infoHash).compose(t -> blocking(() -> {
      t.handle.forceReannounce();
      return null;
    }));
  }

  /** Connects to a peer directly (no tracker needed), e.g. another session on the same machine. */
  public Future<Void> connectPeer(String infoHash, String host, int port) {
    return withTorrent(infoHash).compose(t -> blocking(() -> {
      String ip = Address.parseIp(InetAddress.getByName(host).getHostAddress()).toString();
      t.handle.swig().connect_peer(new TcpEndpoint(ip, port).swig());
      LOG.debug("[{}] {}: connecting to {}:{}", options.name(), t.name, ip, port);
      return null;
    }));
  }

  /** Changes the per-torrent upload cap (bytes/s, 0 = none). */
  public Future<Void> setUploadLimit(String infoHash, long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      return Future.failedFuture(new IllegalArgumentException("upload limit must be >= 0"));
    }
    return withTorrent(infoHash).compose(t -> blocking(() -> {
      t.handle.setUploadLimit(SessionSettings.clampLimit(bytesPerSecond));
      return null;
    }));
  }

  /**
   * Removes a torrent; with {@code deleteFiles} also its files (and its root folder once empty).
   * Completes when libtorrent reports the torrent gone (and the files deleted).
   */
  public Future<Void> remove(String infoHash, boolean deleteFiles) {
    Context context = vertx.getOrCreateContext();
    return withTorrent(infoHash).compose(t -> blocking(() -> {
      CompletableFuture<Void> done = new CompletableFuture<>();
      synchronized (t) {
        if (t.removal != null) {
          return t.removal;
        }
        t.removal = done;
        t.deleteFiles = deleteFiles;
      }
      if (deleteFiles) {
        manager.remove(t.handle, SessionHandle.DELETE_FILES);
      } else {
        manager.remove(t.handle);
      }
      return done;
    })).compose(done -> Future.fromCompletionStage(done, context));
  }

  public Future<TorrentStatus> status(String infoHash) {
    return withTorrent(infoHash).compose(t -> blocking(() -> statusOf(t)));
  }

  /** The pieces this session has of a torrent, downloaded and hash-checked. */
  public Future<BitSet> havePieces(String infoHash) {
    return withTorrent(infoHash).compose(t -> blocking(() -> {
      PieceIndexBitfield pieces = new org.libtorrent4j.TorrentStatus(t.handle.swig().status(TorrentHandle.QUERY_PIECES))
          .pieces();
      BitSet have = new BitSet(t.numPieces);
      for (int i = 0; i < Math.min(t.numPieces, pieces.size()); i++) {
        if (pieces.getBit(i)) {
          have.set(i);
        }
      }
      return have;
    }));
  }

  /**
   * Exactly {@code length} bytes at {@code offset} of file {@code fileIndex} (the torrent's file order)
   * of a torrent added with {@link AddOptions#streaming}, waiting for the pieces it needs: missing ones
   * get libtorrent piece deadlines in read order (sequential reads also read ahead, see ReadPlanner), the
   * rest of the torrent downloads rarest-first meanwhile. Only bytes of pieces that passed their hash
   * check are returned; a read still missing a piece after {@link Streaming#readTimeoutMs} fails naming
   * it.
   */
  public Future<Buffer> read(String infoHash, int fileIndex, long offset, int length) {
    return streamingOf(infoHash).compose(s -> s.read(fileIndex, offset, length));
  }

  /** A streaming torrent's counters (see {@link StreamStats}). */
  public Future<StreamStats> streamStats(String infoHash) {
    return streamingOf(infoHash).map(s -> {
      StreamingReads.Stats st = s.stats();
      return new StreamStats(st.reads(), st.onDemandPieces(), st.readAheadPieces(), st.backgroundPieces(),
          st.waitedReads(), st.totalWaitMs(), st.maxWaitMs(), st.hashFailures(), st.hashFailuresReadsWaitedFor(), st.failedPieces(),
          st.recentWaitsMs(), st.recentWaitStartsMs(), st.backgroundHolds(), st.prefetchedPieces());
    });
  }

  /**
   * The boot profile of a streaming torrent: the pieces its reads touched, in the order first touched
   * (at most 1024, the catalog's default limit), each with when; completes when the background download is first released (the
   * reads paused for {@link Streaming#backgroundQuietMs}, or its max hold is over: a boot's burst of
   * reads is over), fails when the torrent goes away before. Never completes without a hold.
   */
  public Future<List<FirstRead>> bootProfile(String infoHash) {
    Context context = vertx.getOrCreateContext();
    return streamingOf(infoHash).compose(s -> Future.fromCompletionStage(s.profile(), context))
        .map(reads -> reads.stream().map(r -> new FirstRead(r.piece(), r.atMs())).toList());
  }

  /**
   * Asks a streaming torrent for {@code pieces} before its reads do — a boot profile an earlier boot of
   * the image recorded ({@link #bootProfile}) — in that order, at deadlines after the reads' on-demand
   * pieces and at top priority while the background is held. Pieces had already, out of range or
   * repeated are skipped; the future has how many were asked for.
   */
  public Future<Integer> prefetch(String infoHash, List<Integer> pieces) {
    return streamingOf(infoHash).compose(s -> blocking(() -> s.prefetch(pieces)));
  }

  private Future<StreamingReads> streamingOf(String infoHash) {
    return withTorrent(infoHash).compose(t -> t.streaming != null ? Future.succeededFuture(t.streaming)
        : Future.failedFuture(new IllegalStateException("torrent " + t.name + " was not added for streaming "
            + "(AddOptions.streaming)")));
  }

  /** Status of every torrent, by name. */
  public Future<List<TorrentStatus>> statusAll() {
    return blocking(() -> {
      List<TorrentStatus> all = new ArrayList<>();
      for (Torrent t : torrents.values()) {
        if (t.removal == null && t.handle != null) {
          try {
            all.add(statusOf(t));
          } catch (RuntimeException gone) {
            LOG.debug("[{}] {} vanished while collecting status", options.name(), t.name);
          }
        }
      }
      all.sort(Comparator.comparing(TorrentStatus::getName).thenComparing(TorrentStatus::getInfoHash));
      return all;
    });
  }

  /**
   * Payload bytes received per source since the torrent was added (peers by endpoint, web seeds by
   * URL), summed over reconnections; sorted by {@link PeerSource#key()}.
   */
  public Future<Map<PeerSource, Long>> bytesFromPeers(String infoHash) {
    return withTorrent(infoHash).map(t -> t.blocks.receivedSnapshot());
  }

  /**
   * Payload bytes thrown away with pieces that failed their hash check, per source that delivered
   * them (these are not in {@link #bytesFromPeers}); sorted by {@link PeerSource#key()}.
   */
  public Future<Map<PeerSource, Long>> discardedBytes(String infoHash) {
    return withTorrent(infoHash).map(t -> t.blocks.discardedSnapshot());
  }

  /**
   * Calls {@code handler}, on the caller's context, once for every address this session bans: a peer
   * there sent data that failed a hash check (see PeerBans for the evidence it takes), {@value
   * #BAN_REPORT_DELAY_MS} ms after the ban, with the bytes from it discarded by then. The ban holds
   * for every port of that address until the session closes.
   */
  public void onPeerBanned(Handler<PeerBan> handler) {
    Context context = vertx.getOrCreateContext();
    banHandlers.add(ban -> context.runOnContext(v -> handler.handle(ban)));
  }

  /** The addresses banned so far. */
  public Set<String> bannedAddresses() {
    return bans.banned();
  }

  /** Connections to or from {@code ip} that libtorrent refused because the address is banned. */
  public long refusedConnections(String ip) {
    return bans.refusedFrom(ip);
  }

  /**
   * Completes once every piece is downloaded and hash-checked (at once if already seeding); fails if
   * the torrent errors, is removed or the session closes first.
   */
  public Future<Void> finished(String infoHash) {
    Context context = vertx.getOrCreateContext();
    return withTorrent(infoHash).compose(t -> Future.fromCompletionStage(t.finished, context));
  }

  /** Info-hashes of the torrents in the session (not those being added or removed). */
  public List<String> infoHashes() {
    return torrents.values().stream().filter(t -> t.handle != null && t.removal == null).map(t -> t.infoHash).toList();
  }

  /**
   * An integer setting as the running libtorrent session has it (read back from libtorrent, not from
   * {@link #options()}): for diagnostics and tests.
   */
  public Future<Integer> intSetting(settings_pack.int_types setting) {
    return blocking(() -> manager.settings().getInteger(setting.swigValue()));
  }

  /** Stops the session (blocks a worker for about a second while libtorrent shuts down). */
  public Future<Void> close() {
    return vertx.executeBlocking(() -> {
      lifecycle.writeLock().lock();
      try {
        if (closed) {
          return null;
        }
        closed = true;
        synchronized (START_STOP) {
          manager.stop();
        }
      } finally {
        lifecycle.writeLock().unlock();
      }
      IllegalStateException gone = new IllegalStateException("swarm session " + options.name() + " closed");
      for (Torrent t : torrents.values()) {
        t.finished.completeExceptionally(gone);
        if (t.streaming != null) {
          t.streaming.failAll(gone);
        }
        if (t.removal != null) {
          t.removal.complete(null);
        }
      }
      deleting.values().forEach(t -> t.removal.complete(null));
      torrents.clear();
      deleting.clear();
      LOG.info("[{}] session closed", options.name());
      return null;
    }, false);
  }

  // ------------------------------------------------------------------ worker-thread side

  private void open() throws InterruptedException {
    manager.addListener(new AlertRouter(vertx, options.name(), torrents, deleting, listening, bans, this::ban));
    synchronized (START_STOP) {
      manager.start(new SessionParams(SessionSettings.of(options)));
    }
    try {
      // SessionManager.start forces an all-categories alert mask; keep what AlertRouter listens to.
      manager.applySettings(new SettingsPack()
          .setInteger(settings_pack.int_types.alert_mask.swigValue(), SessionSettings.alertMask()));
      SessionSettings.limitLocalPeersToo(manager);
      try {
        listening.get(LISTEN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        if (manager.swig().listen_port() <= 0) {
          Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
          throw new IllegalStateException("swarm session " + options.name() + " cannot listen on "
              + SessionSettings.listenInterface(options) + ": " + cause.getMessage(), cause);
        }
      }
    } catch (RuntimeException e) {
      closed = true;
      synchronized (START_STOP) {
        manager.stop();
      }
      throw e;
    }
    listenPort = manager.swig().listen_port();
    LOG.info("[{}] session listening on {}:{} (lsd={}, up={} B/s, down={} B/s, max requests per peer {}, "
        + "request queue {})", options.name(), options.listenHost(), listenPort, options.lsd(),
        options.uploadLimit(), options.downloadLimit(), describe(options.maxRequestsPerPeer(), ""),
        describe(options.requestQueueSeconds(), " s"));
  }

  /**
   * Bans {@code ip} for the rest of the session, every port: libtorrent's own ban is one torrent_peer,
   * i.e. one ip:port, and a peer reconnecting from another port is a new one. The ip_filter refuses
   * incoming and outgoing connections of the address and closes the open ones. Called on the alert
   * thread: the filter is set on a worker.
   */
  private void ban(Torrent t, String ip, String reason) {
    if (!bans.ban(ip)) {
      return;
    }
    LOG.warn("[{}] {}: banning {} (every port): {}; {} bytes from it discarded so far", options.name(), t.name,
        ip, reason, t.blocks.discardedFrom(ip));
    blocking(() -> {
      error_code ec = new error_code();
      org.libtorrent4j.swig.address address = org.libtorrent4j.swig.address.from_string(ip, ec);
      if (ec.failed()) {
        throw new IllegalArgumentException("cannot ban " + ip + ": " + ec.message());
      }
      ip_filter filter = manager.swig().get_ip_filter();
      filter.add_rule(address, address, ip_filter.access_flags.blocked.swigValue());
      manager.swig().set_ip_filter(filter);
      return null;
    }).onFailure(e -> LOG.warn("[{}] could not ban {}: {}", options.name(), ip, e.getMessage()));
    // Pieces of it already received are hashed within milliseconds of the ban and fail too: the
    // report waits for them, so that its count is the address's whole loss, not its first piece.
    vertx.setTimer(BAN_REPORT_DELAY_MS, id -> {
      PeerBan ban = new PeerBan(t.infoHash, t.name, ip, t.blocks.discardedFrom(ip), reason);
      banHandlers.forEach(h -> h.handle(ban));
    });
  }

  private static String describe(int setting, String unit) {
    return setting > 0 ? setting + unit : "libtorrent's default";
  }

  private String addNow(byte[] bytes, Path savePath, AddOptions add) {
    TorrentInfo info;
    try {
      info = TorrentInfo.bdecode(bytes);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a valid .torrent: " + e.getMessage(), e);
    }
    String hash = info.infoHash().toHex();
    Torrent existing = torrents.get(hash);
    if (existing != null && existing.removal == null) {
      LOG.debug("[{}] {} already in the session", options.name(), existing.name);
      return hash;
    }
    if (existing != null) {
      throw new IllegalStateException("torrent " + existing.name + " is being removed; add it again afterwards");
    }
    List<String> webSeeds = info.webSeeds().stream().map(WebSeedEntry::url).toList();
    String oneFilePath = WebSeeds.oneFileInFolder(info);
    // The torrent's url-list is replaced by our own list: empty when held back, or with the
    // one-file-folder URLs rewritten (see WebSeeds.requestUrl).
    info.setWebSeeds(List.of());
    AddTorrentParams params = new AddTorrentParams();
    params.setTorrentInfo(info);
    if (add.webSeeds() && !webSeeds.isEmpty()) {
      params.setUrlSeeds(webSeeds.stream().map(url -> WebSeeds.requestUrl(url, oneFilePath)).toList());
    }
    params.setSavePath(savePath.toString());
    torrent_flags_t flags = params.getFlags()
        .and_(TorrentFlags.AUTO_MANAGED.inv())
        .and_(TorrentFlags.PAUSED.inv())
        .and_(TorrentFlags.UPDATE_SUBSCRIBE.inv());
    params.setFlags(flags);
    if (add.uploadLimit() > 0) {
      params.setUploadLimit(SessionSettings.clampLimit(add.uploadLimit()));
    }
    String unchanged = add.verifiedAtMs() > 0 ? unchangedSince(info, savePath, add.verifiedAtMs()) : "not verified";
    boolean seedMode = unchanged.isEmpty();
    if (seedMode) {
      params.setFlags(params.getFlags().or_(TorrentFlags.SEED_MODE));
    } else if (add.verifiedAtMs() > 0) {
      LOG.info("[{}] {}: checking every piece: {}", options.name(), info.name(), unchanged);
    }
    // Registered before libtorrent knows the torrent, so that no alert about it goes unseen.
    Torrent t = new Torrent(hash, info.name(), info.pieceLength(), info.numPieces(), info.totalSize(), oneFilePath);
    t.savePath = savePath;
    if (add.webSeeds()) {
      webSeeds.forEach(url -> WebSeeds.register(options.name(), t, url));
    }
    if (noFileExists(info, savePath)) {
      t.blocks.nothingOnDisk();
    }
    torrents.put(hash, t);
    ErrorCode error = new ErrorCode(new error_code());
    TorrentHandle handle = new SessionHandle(manager.swig()).addTorrent(params, error);
    if (error.isError() || handle == null || !handle.isValid()) {
      torrents.remove(hash, t);
      throw new IllegalStateException("libtorrent refused " + info.name() + ": " + error.getMessage());
    }
    t.handle = handle;
    if (add.streaming() != null) {
      t.streaming = new StreamingReads(vertx, this::blocking, info.name(), handle, info, savePath,
          add.streaming().readTimeoutMs(), add.streaming().planning());
      t.streaming.holdBackground(add.streaming().backgroundQuietMs(), add.streaming().backgroundMaxHoldMs());
      // libtorrent's 3 s of request queue, not the storm's 1 s (agent.requestQueueSeconds): a guest's reads
      // come in bursts after idle gaps, and with 1 s its first read waited 3.2-3.9 s (seven runs of
      // bench/streaming-boot.sh), with 3 s 1.6-1.7 s (three). Session-wide: an agent streams one image.
      SettingsPack sp = new SettingsPack();
      SessionSettings.integer(sp, settings_pack.int_types.request_queue_time, STREAMING_REQUEST_QUEUE_SECONDS);
      manager.applySettings(sp);
    }
    if (add.stripe() != null) {
      // libtorrent picks its first pieces (initial_picker_threshold, 4) at random, whatever their
      // priority: a striped session starts with its stripe instead (SwarmSessionTest).
      SettingsPack sp = new SettingsPack();
      SessionSettings.integer(sp, settings_pack.int_types.initial_picker_threshold, 0);
      manager.applySettings(sp);
      // On the handle: libtorrent4j's AddTorrentParams.piecePriorities did not take effect here.
      handle.prioritizePieces(Arrays.stream(add.stripe().priorities(info.numPieces()))
          .mapToObj(Priority::fromSwig).toArray(Priority[]::new));
    }
    LOG.info("[{}] added {} {} ({} bytes) at {}{}{}{}{}", options.name(), info.name(), hash, info.totalSize(),
        savePath, add.uploadLimit() > 0 ? ", upload cap " + add.uploadLimit() + " B/s" : "",
        !add.webSeeds() && !webSeeds.isEmpty() ? ", web seeds held back" : "",
        add.stripe() != null ? ", piece stripe " + add.stripe() + " first"
            : add.streaming() != null ? ", streaming (" + add.streaming() + ")" : "",
        seedMode ? ", seed mode (verified payload, sizes and times unchanged: no hash check)" : "");
    return hash;
  }

  /**
   * Empty when every file of the torrent under {@code savePath} has its size and was last modified at
   * or before {@code verifiedAtMs}; else what differs (for the log). Metadata only: no byte is read.
   */
  static String unchangedSince(TorrentInfo info, Path savePath, long verifiedAtMs) {
    for (int i = 0; i < info.numFiles(); i++) {
      Path file = savePath.resolve(info.files().filePath(i));
      try {
        java.nio.file.attribute.BasicFileAttributes attributes =
            Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
        if (!attributes.isRegularFile() || attributes.size() != info.files().fileSize(i)) {
          return info.files().filePath(i) + " has " + attributes.size() + " bytes, the torrent "
              + info.files().fileSize(i);
        }
        if (attributes.lastModifiedTime().toMillis() > verifiedAtMs) {
          return info.files().filePath(i) + " was modified after it was verified";
        }
      } catch (java.io.IOException e) {
        return info.files().filePath(i) + " is missing or unreadable";
      }
    }
    return "";
  }

  /** Whether libtorrent has the torrent in seed mode (added so, and no piece has failed its lazy check). */
  public Future<Boolean> inSeedMode(String infoHash) {
    return withTorrent(infoHash).compose(t -> blocking(
        () -> statusNow(t.handle).flags().and_(TorrentFlags.SEED_MODE).non_zero()));
  }

  private static boolean noFileExists(TorrentInfo info, Path savePath) {
    for (int i = 0; i < info.numFiles(); i++) {
      if (Files.exists(savePath.resolve(info.files().filePath(i)))) {
        return false;
      }
    }
    return true;
  }

  private TorrentStatus statusOf(Torrent t) {
    org.libtorrent4j.TorrentStatus st = statusNow(t.handle);
    String state = stateOf(st);
    ErrorCode error = st.errorCode();
    if (error.isError() && !t.finished.isDone()) {
      // libtorrent stopped the torrent: its TORRENT_ERROR alert fails the download, this in case the
      // alert never came (a CI agent on a full disk waited two minutes for one)
      t.finished.completeExceptionally(new IllegalStateException("torrent " + t.name + " failed: "
          + AlertRouter.diskFull(t, error.getMessage())));
    }
    // Of the whole torrent, not libtorrent's progress: that is of the wanted pieces, 1.0 for a streaming
    // torrent whose background pieces are held at priority 0 (the agent said "1024 MiB present").
    double progress = st.isSeeding() ? 1.0
        : t.totalSize > 0 ? Math.min(1.0, (double) st.totalDone() / t.totalSize) : st.progress();
    return TorrentStatus.newBuilder()
        .setName(st.name().isEmpty() ? t.name : st.name())
        .setInfoHash(t.infoHash)
        .setState(state)
        .setProgress(progress)
        .setPeers(st.numPeers())
        .setSeeds(st.numSeeds())
        .setUploadRate(st.uploadPayloadRate())
        .setDownloadRate(st.downloadPayloadRate())
        // all-time counters survive pause/resume but lag up to a second; the session counters are live
        .setTotalUploaded(Math.max(st.allTimeUpload(), st.totalPayloadUpload()))
        .setTotalDownloaded(Math.max(st.allTimeDownload(), st.totalPayloadDownload()))
        .setError(error.isError() ? error.getMessage() : "")
        .setSwarmSeeds(st.numComplete())
        .setSwarmLeechers(st.numIncomplete())
        .build();
  }

  /**
   * A fresh status. Not {@link TorrentHandle#status()}: that one caches for 500 ms in unsynchronized
   * fields and returns null or stale values when two threads ask at once.
   */
  private static org.libtorrent4j.TorrentStatus statusNow(TorrentHandle handle) {
    return new org.libtorrent4j.TorrentStatus(handle.swig().status());
  }

  static String stateOf(org.libtorrent4j.TorrentStatus st) {
    if (st.errorCode().isError()) {
      return "error";
    }
    if (st.flags().and_(TorrentFlags.PAUSED).non_zero()) {
      return "paused";
    }
    return switch (st.state()) {
      case CHECKING_FILES, CHECKING_RESUME_DATA -> "checking";
      case SEEDING, FINISHED -> "seeding";
      default -> "downloading";
    };
  }

  private Future<Torrent> withTorrent(String infoHash) {
    Torrent t = infoHash == null ? null : torrents.get(infoHash.toLowerCase(Locale.ROOT));
    if (t == null || t.handle == null) {
      return Future.failedFuture(new IllegalArgumentException("no torrent " + infoHash + " in " + options.name()));
    }
    return Future.succeededFuture(t);
  }

  /** Runs a libtorrent call on a worker, never concurrently with close(). */
  private <T> Future<T> blocking(Callable<T> call) {
    if (closed) {
      return Future.failedFuture(closedError());
    }
    return vertx.executeBlocking(() -> {
      lifecycle.readLock().lock();
      try {
        if (closed) {
          throw closedError();
        }
        return call.call();
      } finally {
        lifecycle.readLock().unlock();
      }
    }, false);
  }

  private IllegalStateException closedError() {
    return new IllegalStateException("swarm session " + options.name() + " closed");
  }

  static final class Torrent {
    final String infoHash;
    final String name;
    /** Null while libtorrent is adding it. */
    volatile TorrentHandle handle;
    final int numPieces;
    final long totalSize;
    final String oneFilePath;
    final CompletableFuture<Void> finished = new CompletableFuture<>();
    final BlockAccounting blocks;
    volatile CompletableFuture<Void> removal;
    volatile boolean deleteFiles;
    /** Finished by libtorrent, waiting for the flush before completing {@code finished}. */
    volatile boolean draining;
    /** Reads while it downloads; null unless added with {@link AddOptions#streaming}. */
    volatile StreamingReads streaming;
    /** Where its files are (null in tests that make a Torrent by hand). */
    volatile Path savePath;

    Torrent(String infoHash, String name, int pieceLength, int numPieces, long totalSize, String oneFilePath) {
      this.infoHash = infoHash;
      this.oneFilePath = oneFilePath;
      this.name = name;
      this.numPieces = numPieces;
      this.totalSize = totalSize;
      this.blocks = new BlockAccounting(pieceLength, numPieces, totalSize);
    }
  }
}
