package io.boottorrent.seeder;

import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.swarm.SwarmSession;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeds every catalog image. At start it opens a {@link SwarmSession}, follows
 * {@code catalog.image.added}/{@code removed}, and asks {@code catalog.image.list} for the current
 * catalog — retrying with backoff until a catalog answers (it may start later, or in another
 * process of the cluster).
 *
 * <p>Torrents are saved under {@code <dataDir>/payload}, where the catalog keeps
 * {@code payload/<image>/<file>} and every torrent's root folder is the image name. A seeder sharing
 * the catalog's data dir (the process's, or a {@code seeder.dataDir} with the catalog's
 * {@code catalog/images} in it) therefore seeds at once (libtorrent's seed mode: the catalog hashed the files
 * at import, and each file's size and time are checked against the manifest instead; pieces are hashed
 * lazily, the first time a peer asks for one); a seeder with its own
 * {@code seeder.dataDir} downloads each image from the swarm (or the catalog's web seed) first,
 * then seeds: that is how seeding scales out. Files are deleted on removal only in that second case
 * — the catalog's payload belongs to the catalog.
 *
 * <p>Its id is {@code seeder.id} ({@code BOOTTORRENT_SEEDER_ID}), or {@code <hostname>-<random>}.
 * Every {@code seeder.statusIntervalMs} it publishes a {@link SeederStatus} on
 * {@code seeder.status}, and adds what each image uploaded since the last one to the process's meter
 * registry ({@link SeederMetrics}).
 */
public final class SeederVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(SeederVerticle.class);
  static final long CATALOG_RETRY_FIRST_MS = 250;
  static final long CATALOG_RETRY_MAX_MS = 10_000;
  static final long CATALOG_REQUEST_TIMEOUT_MS = 10_000;

  private final SeederOptions options;
  private final List<String> addresses;
  private final Path dataDir;
  private final Path payload;
  /**
   * Whether the payload is the catalog's: the process's data dir, or a {@code seeder.dataDir} that holds
   * the catalog's manifests ({@code catalog/images}: a seeder pointed at the catalog's files). Set at start.
   */
  private boolean catalogsPayload;
  private volatile SwarmSession swarm;
  private SeederMetrics metrics;
  private String seederId;
  private long statusTimer = -1;
  private long retryTimer = -1;
  private boolean stopping;
  /** image name -> info-hash of what this seeder added (event-loop confined). */
  private final Map<String, String> images = new HashMap<>();
  /** Info-hashes removed while the first catalog list was in flight: the list must not revive them. */
  private final Set<String> removedBeforeSync = new HashSet<>();
  private final Promise<Void> synced = Promise.promise();
  /** Catalog operations run one after the other, so an add and a remove of one image cannot race. */
  private Future<?> queue = Future.succeededFuture();

  /**
   * @param process the process's data dir (where the catalog keeps its payload; the seeder uses it
   *     unless {@code seeder.dataDir} names its own) and public host (published as its address)
   */
  public SeederVerticle(SeederOptions options, ProcessOptions process) {
    this.options = options;
    this.addresses = addresses(process.publicHost(), options.listenHost());
    Path shared = process.dataDir();
    this.dataDir = options.dataDir().orElse(shared);
    this.catalogsPayload = dataDir.equals(shared);
    this.payload = dataDir.resolve("payload");
  }

  @Override
  public Future<?> start() {
    String configuredId = options.id();
    metrics = SeederMetrics.of(vertx, () -> {
      SwarmSession session = swarm;
      return session == null ? 0 : session.infoHashes().size();
    });
    return vertx.executeBlocking(() -> configuredId.isBlank() ? defaultId() : configuredId, false)
        .compose(id -> {
          seederId = id;
          return vertx.fileSystem().exists(dataDir.resolve("catalog").resolve("images").toString());
        })
        .compose(catalogs -> {
          catalogsPayload |= catalogs;
          return vertx.fileSystem().mkdirs(payload.toString());
        })
        .compose(v -> SwarmSession.start(vertx, new SwarmSession.Options(options.listenHost(), options.listenPort(),
            options.lsd(), 0, 0, "seeder " + seederId, options.maxRequestsPerPeer(), 0)))
        .compose(session -> {
          swarm = session;
          MessageConsumer<ImageEvent> added = vertx.eventBus().consumer(Addresses.IMAGE_ADDED, this::onAdded);
          MessageConsumer<ImageEvent> removed = vertx.eventBus().consumer(Addresses.IMAGE_REMOVED, this::onRemoved);
          return Future.all(added.completion(), removed.completion())
              .recover(err -> swarm.close().transform(ignored -> Future.failedFuture(err)));
        })
        .onSuccess(v -> {
          LOG.info("seeder {} on port {}, payload {} ({}), upload cap {} B/s per image", seederId,
              swarm.listenPort(), payload, catalogsPayload ? "the catalog's" : "own data dir", options.uploadLimit());
          statusTimer = vertx.setPeriodic(options.statusIntervalMs(), id -> publishStatus());
          requestCatalog(CATALOG_RETRY_FIRST_MS);
        });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(statusTimer);
    vertx.cancelTimer(retryTimer);
    synced.tryFail("seeder stopped");
    if (metrics != null) {
      metrics.close();
    }
    return swarm == null ? Future.succeededFuture() : swarm.close();
  }

  /** The libtorrent session (null before start): tests read its settings back. */
  SwarmSession swarm() {
    return swarm;
  }

  /** The BitTorrent port this seeder listens on. */
  public int listenPort() {
    return swarm == null ? -1 : swarm.listenPort();
  }

  public String seederId() {
    return seederId;
  }

  /** Where this seeder keeps image files: {@code <dataDir>/payload}. */
  public Path payloadDir() {
    return payload;
  }

  /** Completes once the first catalog list has been received and its torrents added. */
  public Future<Void> catalogSynced() {
    return synced.future();
  }

  /** A fresh status of every torrent (what the next {@code seeder.status} message would carry). */
  public Future<SeederStatus> status() {
    if (swarm == null) {
      return Future.failedFuture(new IllegalStateException("seeder not started"));
    }
    return swarm.statusAll().map(torrents -> SeederStatus.newBuilder()
        .setSeederId(seederId)
        .setTimestampMs(System.currentTimeMillis())
        .setListenPort(swarm.listenPort())
        .addAllAddresses(addresses)
        .addAllTorrents(torrents)
        .build());
  }

  // ------------------------------------------------------------------ catalog

  private void requestCatalog(long backoffMs) {
    if (stopping) {
      return;
    }
    vertx.eventBus().<ImageList>request(Addresses.IMAGE_LIST, null,
            new DeliveryOptions().setSendTimeout(CATALOG_REQUEST_TIMEOUT_MS))
        .onSuccess(reply -> {
          ImageList list = reply.body();
          LOG.info("seeder {}: catalog lists {} image(s)", seederId, list.getImagesCount());
          Future.all(list.getImagesList().stream()
                  .filter(image -> !removedBeforeSync.contains(image.getInfoHash().toLowerCase(Locale.ROOT)))
                  .map(image -> enqueue(() -> add(image)))
                  .toList())
              .onComplete(done -> {
                removedBeforeSync.clear();
                synced.tryComplete();
              });
        })
        .onFailure(err -> {
          if (stopping) {
            return;
          }
          LOG.info("seeder {}: no catalog answer yet ({}), asking again in {} ms", seederId, err.getMessage(), backoffMs);
          retryTimer = vertx.setTimer(backoffMs,
              id -> requestCatalog(Math.min(CATALOG_RETRY_MAX_MS, backoffMs * 2)));
        });
  }

  private void onAdded(Message<ImageEvent> message) {
    ImageManifest image = message.body().getImage();
    enqueue(() -> add(image));
  }

  private void onRemoved(Message<ImageEvent> message) {
    ImageManifest image = message.body().getImage();
    String hash = image.getInfoHash().isEmpty() ? images.get(image.getName())
        : image.getInfoHash().toLowerCase(Locale.ROOT);
    if (hash == null) {
      LOG.debug("seeder {}: removal of unknown image {}", seederId, image.getName());
      return;
    }
    if (!synced.future().isComplete()) {
      removedBeforeSync.add(hash);
    }
    enqueue(() -> remove(image.getName(), hash));
  }

  private Future<String> add(ImageManifest image) {
    if (image.getTorrent().isEmpty()) {
      LOG.warn("seeder {}: image {} came without its .torrent, skipped", seederId, image.getName());
      return Future.succeededFuture();
    }
    // The catalog's payload was hashed at import: it is seeded at once when unchanged since (seed mode),
    // not re-read whole at every start. A copy in our own data dir is whatever a download left: checked.
    return catalogsPayload()
        .compose(catalogs -> swarm.add(image.getTorrent().toByteArray(), payload,
            new SwarmSession.AddOptions(options.uploadLimit(), true, null, catalogs ? image.getCreatedAtMs() : 0)))
        .onSuccess(hash -> {
          images.put(image.getName(), hash);
          if (!image.getInfoHash().isEmpty() && !image.getInfoHash().equalsIgnoreCase(hash)) {
            LOG.warn("seeder {}: image {} claims info-hash {} but its torrent is {}", seederId, image.getName(),
                image.getInfoHash(), hash);
          }
          LOG.info("seeder {}: seeding {} ({})", seederId, image.getName(), hash);
        })
        .onFailure(err -> LOG.error("seeder {}: cannot add image {}: {}", seederId, image.getName(), err.getMessage()));
  }

  private Future<Void> remove(String name, String hash) {
    if (!swarm.infoHashes().contains(hash)) {
      images.values().remove(hash);
      return Future.succeededFuture();
    }
    return catalogsPayload().compose(catalogs -> swarm.remove(hash, !catalogs))
        .onSuccess(v -> {
          images.values().remove(hash);
          LOG.info("seeder {}: stopped seeding {} ({}){}", seederId, name, hash, catalogsPayload ? "" : ", files deleted");
        })
        .onFailure(err -> LOG.error("seeder {}: cannot remove image {}: {}", seederId, name, err.getMessage()));
  }

  /**
   * Whether the payload is the catalog's, looked at again until it is: a seeder may start before the
   * catalog has created its folders in the data dir they share.
   */
  private Future<Boolean> catalogsPayload() {
    if (catalogsPayload) {
      return Future.succeededFuture(true);
    }
    return vertx.fileSystem().exists(dataDir.resolve("catalog").resolve("images").toString())
        .map(catalogs -> catalogsPayload |= catalogs);
  }

  private <T> Future<T> enqueue(Supplier<Future<T>> operation) {
    Future<T> next = queue.transform(previous -> stopping
        ? Future.failedFuture("seeder stopped") : operation.get());
    queue = next;
    return next;
  }

  // ------------------------------------------------------------------ status

  private void publishStatus() {
    status()
        .onSuccess(status -> {
          metrics.observe(status.getTorrentsList());
          vertx.eventBus().publish(Addresses.SEEDER_STATUS, status);
        })
        .onFailure(err -> {
          if (!stopping) {
            LOG.warn("seeder {}: cannot collect status: {}", seederId, err.getMessage());
          }
        });
  }

  /** The public host, and the listen address when it is a specific one (not a wildcard). */
  static List<String> addresses(String publicHost, String listenHost) {
    Set<String> out = new LinkedHashSet<>(List.of(publicHost));
    if (!listenHost.equals("0.0.0.0") && !listenHost.equals("::") && !listenHost.equals("[::]")) {
      out.add(listenHost);
    }
    return List.copyOf(out);
  }

  /** hostname-xxxxxx: unique per process even when several seeders share a host. Blocking (DNS). */
  static String defaultId() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        host = "seeder";
      }
    }
    return host + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
  }
}
