package io.boottorrent.catalog;

import com.google.protobuf.InvalidProtocolBufferException;
import io.boottorrent.core.DirectoryLock;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog on disk (layout in docs/ARCHITECTURE.md):
 *
 * <pre>
 * &lt;dataDir&gt;/catalog/images/&lt;name&gt;.pb   ImageManifest with torrent bytes, written last and atomically
 * &lt;dataDir&gt;/catalog/policy.pb          BootPolicy
 * &lt;dataDir&gt;/payload/&lt;name&gt;/&lt;file&gt;      image files (the torrent's root folder is &lt;name&gt;)
 * &lt;dataDir&gt;/tmp/                        staging, emptied by {@link #open}
 * </pre>
 *
 * An image exists iff its manifest exists: an add stages and hashes the files under {@code tmp/},
 * builds the torrent, renames the folder to {@code payload/<name>} and only then renames the manifest
 * into place; a delete removes the manifest first. {@link #open} removes whatever a crash left
 * half-done (staging folders, payload folders without a manifest).
 *
 * <p>Mutations ({@link #add}, {@link #delete}, {@link #putPolicy}, {@link #open}, {@link #close}) do
 * blocking disk I/O and hash whole images: call them from a worker thread. An add reserves its name
 * under one lock (a second add of that name gets 409 at once), copies, hashes and builds the torrent
 * without holding it, and takes it again only to commit (rename payload, write manifest); deletes and
 * policy writes hold it for their whole (short) run. So a long import never delays them, and the
 * in-memory state always matches the manifests on disk. Reads ({@link #list}, {@link #get},
 * {@link #policy}, {@link #payloadFile}) only touch memory and never wait for that lock. A file lock
 * on {@code catalog/.lock} keeps a second store (in this or another process) off the same data dir.
 */
public final class ImageStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);

  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  /** File names that may go into a torrent unchanged; others become the role's default name. */
  private static final Pattern SAFE_FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");
  public static final int MAX_PIECE_LENGTH = 16 * 1024 * 1024;
  private static final String MANIFEST_SUFFIX = ".pb";
  private static final int COPY_BUFFER = 256 * 1024;

  /** Builds the torrent of a staged image folder; {@link TorrentFactory#create} outside tests. */
  @FunctionalInterface
  public interface TorrentMaker {
    TorrentFactory.Created create(Path root, List<String> trackers, List<String> webSeeds, int pieceLength)
        throws IOException;
  }

  /**
   * Everything the store needs to know, without Vert.x.
   *
   * @param importRoots folders images may be imported from; empty: {@code <dataDir>/import} only
   * @param trackers announce URLs put into new torrents
   * @param webSeeds BEP 19 URLs put into new torrents; asked at each add (the port may be known late)
   * @param pieceLength piece length when a request gives none; 0: chosen from the size
   * @param limits what an add may ask for, whoever asks
   */
  public record Settings(
      Path dataDir,
      List<Path> importRoots,
      List<String> trackers,
      Supplier<List<String>> webSeeds,
      int pieceLength,
      int defaultMenuTimeoutSeconds,
      Limits limits) {
    public Settings(Path dataDir, List<Path> importRoots, List<String> trackers, Supplier<List<String>> webSeeds,
        int pieceLength, int defaultMenuTimeoutSeconds) {
      this(dataDir, importRoots, trackers, webSeeds, pieceLength, defaultMenuTimeoutSeconds, Limits.NONE);
    }

    public Settings {
      Objects.requireNonNull(limits, "limits");
      dataDir = dataDir.toAbsolutePath().normalize();
      importRoots = List.copyOf(importRoots);
      trackers = List.copyOf(trackers);
      Objects.requireNonNull(webSeeds, "webSeeds");
      if (pieceLength != 0) {
        checkPieceLength(pieceLength, "catalog.pieceLength");
      }
      if (defaultMenuTimeoutSeconds < 0) {
        throw new IllegalArgumentException("catalog.defaultMenuTimeoutSeconds must be >= 0");
      }
    }

    /** The import roots in force: the configured ones, or {@code <dataDir>/import}. */
    public List<Path> effectiveImportRoots() {
      if (importRoots.isEmpty()) {
        return List.of(dataDir.resolve("import"));
      }
      return importRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }
  }

  /**
   * Limits every add is held to, even with an operator's token: the sizes of what goes into a manifest
   * (and so onto every booting machine's console and command line), how many images, and how many bytes
   * of distinct content the store may hold. Each names its config key in the error.
   *
   * @param diskQuotaBytes distinct content (a file imported twice counts once); 0: no quota
   */
  public record Limits(int maxImages, int maxDescriptionLength, int maxCmdlineLength, int maxArgs,
      int maxArgLength, long diskQuotaBytes) {
    /** No limits: for stores whose limits do not matter (the defaults are in boottorrent-defaults.yaml). */
    public static final Limits NONE = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
        Integer.MAX_VALUE, Integer.MAX_VALUE, 0);
  }

  private final Settings settings;
  private final TorrentMaker torrentMaker;
  private final Clock clock;
  private final Path imagesDir;
  private final Path policyFile;
  private final Path payloadDir;
  private final Path tmpDir;
  /** Content-addressed: {@code blobs/<sha256>} is a hard link of every payload file with that content. */
  private final Path blobsDir;
  private final Object mutation = new Object();
  private final ConcurrentSkipListMap<String, ImageManifest> images = new ConcurrentSkipListMap<>();
  /** Names whose add is in progress (guarded by {@link #mutation}). */
  private final Set<String> adding = new HashSet<>();
  private final DirectoryLock lock;
  private volatile BootPolicy policy;
  private volatile boolean closed;
  /** The highest manifest version handed out or loaded (guarded by {@link #mutation}). */
  private long lastVersion;

  private ImageStore(Settings settings, TorrentMaker torrentMaker, Clock clock) throws IOException {
    this.settings = settings;
    this.torrentMaker = torrentMaker;
    this.clock = clock;
    Path dataDir = settings.dataDir();
    Path catalogDir = dataDir.resolve("catalog");
    this.imagesDir = catalogDir.resolve("images");
    this.policyFile = catalogDir.resolve("policy.pb");
    this.payloadDir = dataDir.resolve("payload");
    this.tmpDir = dataDir.resolve("tmp");
    this.blobsDir = dataDir.resolve("blobs");
    Files.createDirectories(imagesDir);
    Files.createDirectories(blobsDir);
    Files.createDirectories(payloadDir);
    Files.createDirectories(tmpDir);
    if (settings.importRoots().isEmpty()) {
      Files.createDirectories(settings.effectiveImportRoots().get(0));
    }
    this.lock = DirectoryLock.acquire(catalogDir.resolve(".lock"),
        "data dir " + dataDir + " is in use by another catalog");
  }

  /** Opens (creating if needed) the catalog under {@code settings.dataDir()} and cleans up after crashes. */
  public static ImageStore open(Settings settings) throws IOException {
    return open(settings, TorrentFactory::create, Clock.systemUTC());
  }

  public static ImageStore open(Settings settings, TorrentMaker torrentMaker, Clock clock) throws IOException {
    ImageStore store = new ImageStore(settings, torrentMaker, clock);
    try {
      store.recover();
      return store;
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  private void recover() throws IOException {
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmpDir)) {
      for (Path leftover : leftovers) {
        LOG.info("removing staging leftover {}", leftover);
        deleteRecursively(leftover);
      }
    }
    try (DirectoryStream<Path> manifests = Files.newDirectoryStream(imagesDir, "*" + MANIFEST_SUFFIX)) {
      for (Path file : manifests) {
        loadManifest(file).ifPresent(m -> {
          images.put(m.getName(), m);
          lastVersion = Math.max(lastVersion, m.getVersion());
        });
      }
    }
    try (DirectoryStream<Path> payloads = Files.newDirectoryStream(payloadDir)) {
      for (Path payload : payloads) {
        if (!Files.exists(manifestFile(payload.getFileName().toString()))) {
          LOG.info("removing payload without a manifest (interrupted add or delete): {}", payload);
          deleteRecursively(payload);
        }
      }
    }
    collectBlobs();
    for (ImageManifest m : images.values()) {
      for (ImageFile f : m.getFilesList()) {
        Path p = payloadDir.resolve(m.getName()).resolve(f.getPath());
        if (!Files.isRegularFile(p) || Files.size(p) != f.getSize()) {
          LOG.warn("image {}: payload file {} is missing or has the wrong size; seeding it will fail",
              m.getName(), p);
        }
      }
    }
    if (Files.exists(policyFile)) {
      try {
        policy = BootPolicy.parseFrom(Files.readAllBytes(policyFile));
      } catch (InvalidProtocolBufferException e) {
        throw new IOException("corrupt boot policy " + policyFile + ": " + e.getMessage(), e);
      }
    } else {
      policy = BootPolicies.defaultPolicy(settings.defaultMenuTimeoutSeconds());
    }
    LOG.info("catalog at {}: {} image(s)", settings.dataDir(), images.size());
  }

  private Optional<ImageManifest> loadManifest(Path file) throws IOException {
    String fileName = file.getFileName().toString();
    String name = fileName.substring(0, fileName.length() - MANIFEST_SUFFIX.length());
    if (!NAME.matcher(name).matches() || !Files.isRegularFile(file)) {
      LOG.warn("ignoring {}: not an image manifest", file);
      return Optional.empty();
    }
    try {
      ImageManifest m = ImageManifest.parseFrom(Files.readAllBytes(file));
      if (!m.getName().equals(name)) {
        LOG.warn("ignoring {}: it describes image '{}'", file, m.getName());
        return Optional.empty();
      }
      // Manifests from before versions existed: their creation time orders them as well.
      return Optional.of(m.getVersion() > 0 ? m : m.toBuilder().setVersion(m.getCreatedAtMs()).build());
    } catch (InvalidProtocolBufferException e) {
      LOG.warn("ignoring unreadable manifest {}: {}", file, e.getMessage());
      return Optional.empty();
    }
  }

  // ------------------------------------------------------------------------------------------ reads

  /** Every image, by name, with torrent bytes. */
  public List<ImageManifest> list() {
    return List.copyOf(images.values());
  }

  public Optional<ImageManifest> get(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(images.get(name));
  }

  public BootPolicy policy() {
    return policy;
  }

  /** The stored file {@code file} of image {@code name}, if that image lists it. */
  public Optional<Path> payloadFile(String name, String file) {
    return get(name).flatMap(m -> m.getFilesList().stream()
        .filter(f -> f.getPath().equals(file))
        .findFirst()
        .map(f -> payloadDir.resolve(name).resolve(f.getPath())));
  }

  public Settings settings() {
    return settings;
  }

  // -------------------------------------------------------------------------------------- mutations

  /**
   * Validates {@code request}, copies and hashes its files, builds the torrent and stores the image.
   * On any failure nothing of the image remains.
   *
   * @return the manifest, with torrent bytes
   * @throws CatalogException 400 malformed/missing field, 403 source outside the import roots,
   *     409 duplicate name, 422 unknown kind or unusable source file
   * @throws IOException a disk or torrent-building failure (a server error)
   */
  public ImageManifest add(AddImageRequest request) throws IOException {
    List<Source> plan = plan(request);
    checkLimits(request, settings.limits());
    String name = request.getName();
    synchronized (mutation) {
      ensureOpen();
      if (images.containsKey(name)) {
        throw CatalogException.conflict("an image named '" + name + "' exists already");
      }
      if (images.size() + adding.size() >= settings.limits().maxImages()) {
        throw CatalogException.conflict("the catalog holds " + images.size() + " image(s) (and " + adding.size()
            + " being added); its limit is " + settings.limits().maxImages() + " (catalog.maxImages)");
      }
      if (!adding.add(name)) {
        throw CatalogException.conflict("an image named '" + name + "' is being added");
      }
    }
    try {
      List<Path> sources = new ArrayList<>(plan.size());
      for (Source s : plan) {
        sources.add(resolveSource(s.field(), s.path()));
      }
      return store(request, plan, sources);
    } finally {
      synchronized (mutation) {
        adding.remove(name);
      }
    }
  }

  private ImageManifest store(AddImageRequest request, List<Source> plan, List<Path> sources) throws IOException {
    String name = request.getName();
    Path staging = tmpDir.resolve(UUID.randomUUID().toString());
    Path root = staging.resolve(name);
    Path payload = payloadDir.resolve(name);
    Path manifestFile = manifestFile(name);
    boolean moved = false;
    boolean committed = false;
    try {
      Files.createDirectories(root);
      List<ImageFile> files = new ArrayList<>(plan.size());
      long total = 0;
      for (int i = 0; i < plan.size(); i++) {
        Source s = plan.get(i);
        Path target = root.resolve(s.targetName());
        Copied copied = copyAndHash(sources.get(i), target, s.field());
        files.add(ImageFile.newBuilder()
            .setRole(s.role())
            .setPath(s.targetName())
            .setSize(copied.size())
            .setSha256(copied.sha256())
            .build());
        total += copied.size();
      }
      int pieceLength = request.getPieceLength() > 0 ? request.getPieceLength() : settings.pieceLength();
      List<String> webSeeds = List.copyOf(settings.webSeeds().get());
      TorrentFactory.Created torrent = torrentMaker.create(root, settings.trackers(), webSeeds, pieceLength);
      if (torrent.totalSize() != total) {
        throw new IOException("torrent covers " + torrent.totalSize() + " bytes, staged " + total);
      }
      ImageManifest.Builder built = ImageManifest.newBuilder()
          .setName(name)
          .setKind(request.getKind())
          .addAllFiles(files)
          .setInfoHash(torrent.infoHash())
          .setTotalSize(total)
          .setPieceLength(torrent.pieceLength())
          .setCmdline(request.getCmdline())
          .addAllArgs(request.getArgsList())
          .setCreatedAtMs(clock.millis())
          .setDescription(request.getDescription())
          .setTorrent(com.google.protobuf.ByteString.copyFrom(torrent.torrent()))
          .addAllTrackers(settings.trackers())
          .addAllWebSeeds(webSeeds);
      ImageManifest manifest;
      synchronized (mutation) {
        ensureOpen();
        checkQuota(files);
        for (ImageFile f : files) {
          shareContent(root.resolve(f.getPath()), f.getSha256());
        }
        // Versions only grow: a manifest signed for an earlier add of this name is told apart (replay).
        lastVersion = Math.max(lastVersion + 1, built.getCreatedAtMs());
        manifest = built.setVersion(lastVersion).build();
        if (Files.exists(payload, LinkOption.NOFOLLOW_LINKS)) {
          LOG.warn("replacing payload folder without a manifest: {}", payload);
          deleteRecursively(payload);
        }
        Files.move(root, payload, StandardCopyOption.ATOMIC_MOVE);
        moved = true;
        fsyncDirectory(payloadDir);
        writeAtomically(manifestFile, manifest.toByteArray());
        committed = true;
        images.put(name, manifest);
      }
      LOG.info("added image {} ({} {}, {} bytes, info-hash {})",
          name, request.getKind(), files.stream().map(ImageFile::getPath).toList(), total, torrent.infoHash());
      return manifest;
    } finally {
      if (!committed) {
        if (moved) {
          deleteQuietly(payload);
        }
      }
      deleteQuietly(staging);
    }
  }

  /**
   * Deletes image {@code name}: the manifest first (from then on the image does not exist), then its
   * payload. A crash in between leaves a payload folder that the next {@link #open} removes.
   *
   * @return the manifest that was removed
   * @throws CatalogException 404 if there is no such image
   */
  public ImageManifest delete(String name) throws IOException {
    synchronized (mutation) {
      ensureOpen();
      ImageManifest existing = name == null ? null : images.get(name);
      if (existing == null) {
        throw CatalogException.notFound("no image named '" + name + "'");
      }
      Files.deleteIfExists(manifestFile(name));
      images.remove(name);
      fsyncDirectory(imagesDir);
      try {
        deleteRecursively(payloadDir.resolve(name));
        collectBlobs();
      } catch (IOException e) {
        LOG.warn("image {} deleted, but its payload could not be removed (next start-up retries): {}",
            name, e.toString());
      }
      LOG.info("deleted image {} (info-hash {})", name, existing.getInfoHash());
      return existing;
    }
  }

  /**
   * Validates ({@link BootPolicies#validate}) and stores the boot policy.
   *
   * @return the policy as stored (normalised)
   */
  public BootPolicy putPolicy(BootPolicy requested) throws IOException {
    synchronized (mutation) {
      ensureOpen();
      BootPolicy valid = BootPolicies.validate(requested, images.keySet());
      writeAtomically(policyFile, valid.toByteArray());
      policy = valid;
      LOG.info("boot policy updated: default '{}', {} rule(s), {} grouped MAC(s)",
          valid.getDefaultImage(), valid.getRulesCount(), valid.getGroupsCount());
      return valid;
    }
  }

  /**
   * Releases the data dir's lock. Waits for a running delete, policy write or commit; adds still
   * staging then fail and remove their staging folder.
   */
  @Override
  public void close() throws IOException {
    synchronized (mutation) {
      if (closed) {
        return;
      }
      closed = true;
      lock.close();
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("image store is closed");
    }
  }

  // --------------------------------------------------------------------------------- validation

  /** One file to import: the request field it came from, its role and its name in the torrent. */
  private record Source(String field, String path, String role, String targetName) {}

  private static List<Source> plan(AddImageRequest r) {
    if (r.getName().isEmpty()) {
      throw CatalogException.badRequest("name is required");
    }
    if (!NAME.matcher(r.getName()).matches()) {
      throw CatalogException.badRequest("invalid image name '" + r.getName()
          + "': 1-63 characters of a-z 0-9 . _ -, starting with a letter or digit");
    }
    List<Source> plan = new ArrayList<>(2);
    switch (r.getKind()) {
      case KEXEC -> {
        require(r.getKernel(), "kernel", "kexec");
        forbid(r.getDisk(), "disk", "kexec");
        forbid(r.getBinary(), "binary", "kexec");
        if (r.getArgsCount() > 0) {
          throw CatalogException.badRequest("args are not used by kexec images (use cmdline)");
        }
        plan.add(new Source("kernel", r.getKernel(), "kernel", "vmlinuz"));
        if (!r.getInitrd().isEmpty()) {
          plan.add(new Source("initrd", r.getInitrd(), "initrd", "initrd"));
        }
      }
      case QEMU -> {
        require(r.getDisk(), "disk", "qemu");
        forbidKexecFields(r, "qemu");
        forbid(r.getBinary(), "binary", "qemu");
        plan.add(new Source("disk", r.getDisk(), "disk", torrentFileName("disk", r.getDisk(), "disk.img")));
      }
      case EXEC -> {
        require(r.getBinary(), "binary", "exec");
        forbidKexecFields(r, "exec");
        forbid(r.getDisk(), "disk", "exec");
        plan.add(new Source("binary", r.getBinary(), "binary", torrentFileName("binary", r.getBinary(), "binary")));
      }
      default -> throw CatalogException.unprocessable(
          "unknown or missing image kind " + r.getKind() + ": expected KEXEC, QEMU or EXEC");
    }
    if (r.getPieceLength() != 0) {
      try {
        checkPieceLength(r.getPieceLength(), "piece_length");
      } catch (IllegalArgumentException e) {
        throw CatalogException.badRequest(e.getMessage());
      }
    }
    return plan;
  }

  private static void require(String value, String field, String kind) {
    if (value.isEmpty()) {
      throw CatalogException.badRequest(field + " is required for " + kind + " images");
    }
  }

  private static void forbid(String value, String field, String kind) {
    if (!value.isEmpty()) {
      throw CatalogException.badRequest(field + " is not used by " + kind + " images");
    }
  }

  private static void forbidKexecFields(AddImageRequest r, String kind) {
    forbid(r.getKernel(), "kernel", kind);
    forbid(r.getInitrd(), "initrd", kind);
    forbid(r.getCmdline(), "cmdline", kind);
  }

  static void checkPieceLength(int pieceLength, String what) {
    if (pieceLength < TorrentFactory.MIN_PIECE || pieceLength > MAX_PIECE_LENGTH
        || Integer.bitCount(pieceLength) != 1) {
      throw new IllegalArgumentException(what + " must be 0 (automatic) or a power of two from "
          + TorrentFactory.MIN_PIECE + " to " + MAX_PIECE_LENGTH + ", got " + pieceLength);
    }
  }

  /** The source's own file name if it is a plain, portable one; {@code fallback} otherwise. */
  private static String torrentFileName(String field, String source, String fallback) {
    Path fileName;
    try {
      fileName = Path.of(source).getFileName();
    } catch (java.nio.file.InvalidPathException e) {
      // a NUL byte: before this check it escaped as a 500 (found by BadRequestSweepTest)
      throw CatalogException.badRequest(field + ": invalid path (" + e.getReason() + ")");
    }
    String name = fileName == null ? "" : fileName.toString();
    return SAFE_FILE_NAME.matcher(name).matches() ? name : fallback;
  }

  /**
   * The real path of a source file, after checking it is absolute, inside an import root (symlinks
   * resolved), exists and is a regular non-empty file. A missing file outside every root is a 403,
   * like an existing one: the answer does not reveal what exists outside the roots.
   */
  private Path resolveSource(String field, String value) throws IOException {
    Path given;
    try {
      given = Path.of(value);
    } catch (java.nio.file.InvalidPathException e) {
      throw CatalogException.badRequest(field + ": invalid path '" + value + "'");
    }
    if (!given.isAbsolute()) {
      throw CatalogException.badRequest(field + ": '" + value + "' must be an absolute path on the server");
    }
    List<Path> roots = new ArrayList<>();
    for (Path root : settings.effectiveImportRoots()) {
      roots.add(Files.exists(root) ? root.toRealPath() : root);
    }
    Path real;
    try {
      real = given.toRealPath();
    } catch (FileSystemException e) {
      if (!insideAny(given.normalize(), roots)) {
        throw outside(field, value);
      }
      throw CatalogException.unprocessable(field + ": no such file '" + value + "'"
          + (e instanceof NoSuchFileException ? "" : " (" + e.getReason() + ")"));
    }
    if (!insideAny(real, roots)) {
      throw outside(field, value);
    }
    if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
      throw CatalogException.unprocessable(field + ": '" + value + "' is not a regular file");
    }
    if (Files.size(real) == 0) {
      throw CatalogException.unprocessable(field + ": '" + value + "' is empty");
    }
    return real;
  }

  private static boolean insideAny(Path path, List<Path> roots) {
    for (Path root : roots) {
      if (path.startsWith(root) && !path.equals(root)) {
        return true;
      }
    }
    return false;
  }

  private CatalogException outside(String field, String value) {
    return CatalogException.forbidden(field + ": '" + value + "' is not inside an import root "
        + settings.effectiveImportRoots());
  }

  /** Field sizes, whoever asks: they end up on every booting machine's console and command line. */
  private static void checkLimits(AddImageRequest r, Limits limits) {
    checkLength("description", r.getDescription(), limits.maxDescriptionLength(), "catalog.maxDescriptionLength");
    checkLength("cmdline", r.getCmdline(), limits.maxCmdlineLength(), "catalog.maxCmdlineLength");
    if (r.getArgsCount() > limits.maxArgs()) {
      throw CatalogException.unprocessable(r.getArgsCount() + " args; the limit is " + limits.maxArgs()
          + " (catalog.maxArgs)");
    }
    for (int i = 0; i < r.getArgsCount(); i++) {
      checkLength("args[" + i + "]", r.getArgs(i), limits.maxArgLength(), "catalog.maxArgLength");
    }
  }

  private static void checkLength(String field, String value, int max, String key) {
    if (value.length() > max) {
      throw CatalogException.unprocessable(field + " is " + value.length() + " characters; the limit is " + max
          + " (" + key + ")");
    }
  }

  /** Bytes of distinct content (by SHA-256) the images hold: what catalog.diskQuotaBytes limits. */
  public long storedBytes() {
    Map<String, Long> distinct = new HashMap<>();
    for (ImageManifest m : images.values()) {
      for (ImageFile f : m.getFilesList()) {
        distinct.put(f.getSha256(), f.getSize());
      }
    }
    return distinct.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Refuses an add whose new content would take the store past its quota (caller holds the lock). */
  private void checkQuota(List<ImageFile> files) {
    long quota = settings.limits().diskQuotaBytes();
    if (quota <= 0) {
      return;
    }
    Set<String> known = new HashSet<>();
    images.values().forEach(m -> m.getFilesList().forEach(f -> known.add(f.getSha256())));
    long fresh = 0;
    for (ImageFile f : files) {
      if (known.add(f.getSha256())) {
        fresh += f.getSize();
      }
    }
    long used = storedBytes();
    if (used + fresh > quota) {
      throw new CatalogException(413, "adding " + fresh + " new bytes would store " + (used + fresh)
          + " bytes; the quota is " + quota + " (catalog.diskQuotaBytes)");
    }
  }

  /**
   * Makes {@code staged} and {@code blobs/<sha256>} one file: a hard link to the existing blob when
   * that content is stored already (the staged copy is dropped), else the blob becomes a second name of
   * the staged file. Where hard links are not supported, the copy stays (correct, only not shared).
   */
  private void shareContent(Path staged, String sha256) throws IOException {
    Path blob = blobsDir.resolve(sha256);
    try {
      if (Files.exists(blob, LinkOption.NOFOLLOW_LINKS) && Files.size(blob) == Files.size(staged)) {
        Path replaced = staged.resolveSibling(staged.getFileName() + ".dup");
        Files.move(staged, replaced);
        Files.createLink(staged, blob);
        Files.delete(replaced);
      } else {
        Files.deleteIfExists(blob);
        Files.createLink(blob, staged);
      }
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
      LOG.debug("cannot share {} with {}: {}", staged, blob, e.toString());
    }
  }

  /** Removes blobs no payload file links to any more (their only name is the blob's). */
  private void collectBlobs() throws IOException {
    try (DirectoryStream<Path> blobs = Files.newDirectoryStream(blobsDir)) {
      for (Path blob : blobs) {
        Object links = Files.getAttribute(blob, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        if (links instanceof Integer n && n <= 1) {
          Files.delete(blob);
        }
      }
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      LOG.debug("no link counts here, blobs stay: {}", e.toString());
    }
  }

  // --------------------------------------------------------------------------------------- files

  private record Copied(long size, String sha256) {}

  private static Copied copyAndHash(Path source, Path target, String field) throws IOException {
    MessageDigest sha = sha256();
    long size = 0;
    ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER);
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (in.read(buffer) >= 0) {
        buffer.flip();
        sha.update(buffer);
        buffer.rewind();
        while (buffer.hasRemaining()) {
          size += out.write(buffer);
        }
        buffer.clear();
      }
      out.force(true);
    }
    if (size == 0) {
      throw CatalogException.unprocessable(field + ": '" + source + "' is empty");
    }
    return new Copied(size, HexFormat.of().formatHex(sha.digest()));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private Path manifestFile(String name) {
    return imagesDir.resolve(name + MANIFEST_SUFFIX);
  }

  /** Writes {@code bytes} to a staging file, syncs it and renames it over {@code target}. */
  private void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(tmpDir, target.getFileName().toString(), ".tmp");
    try {
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsyncDirectory(target.getParent());
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Makes a rename in {@code dir} durable; best effort (not every platform can open a directory). */
  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("cannot fsync directory {}: {}", dir, e.toString());
    }
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(path, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void deleteQuietly(Path path) {
    try {
      deleteRecursively(path);
    } catch (IOException e) {
      LOG.warn("could not remove {} (next start-up retries): {}", path, e.toString());
    }
  }
}
