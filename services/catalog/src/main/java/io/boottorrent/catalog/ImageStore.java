package io.boottorrent.catalog;

import com.google.protobuf.InvalidProtocolBufferException;
import io.boottorrent.core.DirectoryLock;
import io.boottorrent.core.StateFiles;
import io.boottorrent.core.StateFiles.SetAside;
import io.boottorrent.core.PathRule;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootProfile;
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
import java.util.concurrent.ConcurrentHashMap;
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
 * &lt;dataDir&gt;/catalog/images/&lt;name&gt;.boot-profile.pb
 *                                      BootProfile of the image's torrent (a hint, optional), atomically
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
 * <p>An image's boot profile ({@link #putBootProfile}) is the first valid one posted for its current
 * torrent; it is removed with the image and when the name is added again, and {@link #open} drops one
 * whose image is gone or has another info hash (stale). An unreadable one is logged and ignored, not
 * set aside: it is only a hint, and the next profile posted replaces it. No image name ends in
 * {@value #PROFILE_STEM}, so a profile file is never an image's manifest.
 *
 * <p>A manifest or policy that {@link #open} cannot trust (unreadable, of another type, naming another
 * image, fields out of range) is set aside as {@code <file>.corrupt-<UTC time>} ({@link StateFiles}), a
 * manifest together with its payload folder, so nothing is deleted; the store opens without that image,
 * or with the default policy. {@link #setAside} lists what was (docs/SECURITY.md "Corrupt state files").
 *
 * <p>Mutations ({@link #add}, {@link #delete}, {@link #putPolicy}, {@link #putBootProfile},
 * {@link #deleteBootProfile}, {@link #open}, {@link #close}) do blocking disk I/O and hash whole
 * images: call them from a worker thread. An add reserves its name under one lock (a second add of
 * that name gets 409 at once), copies, hashes and builds the torrent without holding it, and takes it
 * again only to commit (rename payload, write manifest); deletes, policy and profile writes hold it for
 * their whole (short) run. So a long import never delays them, and the in-memory state always matches
 * the manifests on disk. Reads ({@link #list}, {@link #get}, {@link #policy}, {@link #bootProfile},
 * {@link #payloadFile}) only touch memory and never wait for that lock. A file lock on
 * {@code catalog/.lock} keeps a second store (in this or another process) off the same data dir.
 */
public final class ImageStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);

  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  /** File names that may go into a torrent unchanged; others become the role's default name. */
  private static final Pattern SAFE_FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");
  public static final int MAX_PIECE_LENGTH = 16 * 1024 * 1024;
  /** The service name in what {@link StateFiles} reports. */
  static final String SERVICE = "catalog";
  private static final Pattern INFO_HASH = Pattern.compile("[0-9a-f]{40}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final String MANIFEST_SUFFIX = ".pb";
  /** What no image name may end in: {@code <name>.boot-profile.pb} is image {@code <name>}'s boot profile. */
  static final String PROFILE_STEM = ".boot-profile";
  private static final String PROFILE_SUFFIX = PROFILE_STEM + MANIFEST_SUFFIX;
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
  private final PathRule payloadRule;
  private final Object mutation = new Object();
  private final ConcurrentSkipListMap<String, ImageManifest> images = new ConcurrentSkipListMap<>();
  /**
   * Boot profiles by image name, each of its image's current torrent: an add or delete of a name drops
   * its profile, {@link #open} drops stale ones (changed under {@link #mutation}).
   */
  private final ConcurrentHashMap<String, BootProfile> profiles = new ConcurrentHashMap<>();
  /** Names whose add is in progress (guarded by {@link #mutation}). */
  private final Set<String> adding = new HashSet<>();
  private final DirectoryLock lock;
  private volatile BootPolicy policy;
  private volatile boolean closed;
  /** What {@link #open} set aside as corrupt. */
  private final List<SetAside> setAside = new ArrayList<>();
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
    this.payloadRule = new PathRule(List.of(payloadDir, blobsDir));
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
    List<Path> profileFiles = new ArrayList<>();
    try (DirectoryStream<Path> manifests = Files.newDirectoryStream(imagesDir, "*" + MANIFEST_SUFFIX)) {
      for (Path file : manifests) {
        if (isProfileFile(file)) {
          profileFiles.add(file);
          continue;
        }
        loadManifest(file).ifPresent(m -> {
          images.put(m.getName(), m);
          lastVersion = Math.max(lastVersion, m.getVersion());
        });
      }
    }
    try (DirectoryStream<Path> payloads = Files.newDirectoryStream(payloadDir)) {
      for (Path payload : payloads) {
        if (StateFiles.isAside(payload)) {
          LOG.warn("keeping {}: the payload of a manifest set aside as corrupt", payload);
        } else if (!Files.exists(manifestFile(payload.getFileName().toString()))) {
          LOG.info("removing payload without a manifest (interrupted add or delete): {}", payload);
          deleteRecursively(payload);
        }
      }
    }
    for (Path file : profileFiles) {
      loadProfile(file);
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
    policy = Files.exists(policyFile) ? loadPolicy() : null;
    if (policy == null) {
      policy = BootPolicies.defaultPolicy(settings.defaultMenuTimeoutSeconds());
    }
    LOG.info("catalog at {}: {} image(s), {} boot profile(s)", settings.dataDir(), images.size(), profiles.size());
  }

  /**
   * Whether {@code file}, named {@code <stem>.boot-profile.pb}, is image {@code <stem>}'s boot profile
   * rather than the manifest of an image called {@code <stem>.boot-profile} (a name refused since
   * profiles exist, kept readable for data dirs from before): the manifest would name itself.
   */
  private static boolean isProfileFile(Path file) {
    String fileName = file.getFileName().toString();
    if (!fileName.endsWith(PROFILE_SUFFIX)) {
      return false;
    }
    String asImage = fileName.substring(0, fileName.length() - MANIFEST_SUFFIX.length());
    try {
      return !ImageManifest.parseFrom(Files.readAllBytes(file)).getName().equals(asImage);
    } catch (IOException e) {
      return true; // unreadable as anything: loadProfile logs it
    }
  }

  /**
   * Takes {@code file} as its image's boot profile if it is a valid one of that image's torrent; drops
   * it if that image is gone or has another torrent (stale); logs and ignores it if it is unreadable.
   */
  private void loadProfile(Path file) {
    String fileName = file.getFileName().toString();
    String name = fileName.substring(0, fileName.length() - PROFILE_SUFFIX.length());
    BootProfile p;
    try {
      p = BootProfile.parseFrom(Files.readAllBytes(file));
    } catch (IOException e) {
      LOG.warn("ignoring boot profile {}: unreadable ({}); the next profile posted for image {} replaces it",
          file, e.getMessage(), name);
      return;
    }
    // Another message read as a profile (a manifest under this name, say) is kept for whoever put it there.
    Optional<String> foreign = StateFiles.unknownFields(p);
    if (foreign.isPresent()) {
      LOG.warn("ignoring boot profile {}: {}; the next profile posted for image {} replaces it", file,
          foreign.get(), name);
      return;
    }
    ImageManifest m = images.get(name);
    if (m == null || !BootProfiles.current(p, m)) {
      LOG.info("dropping stale boot profile {} (recorded on torrent {}; image {} {})", file, shorten(p.getInfoHash()),
          name, m == null ? "does not exist" : "is now " + m.getInfoHash());
      deleteProfileFile(name);
      return;
    }
    try {
      BootProfiles.validate(m, p, Integer.MAX_VALUE, p.getRecordedAtMs());
    } catch (CatalogException e) {
      LOG.warn("ignoring boot profile {}: {}; the next profile posted for image {} replaces it", file,
          e.getMessage(), name);
      return;
    }
    profiles.put(name, p);
  }

  /** The stored policy, or null (and the file set aside) when it cannot be trusted. */
  private BootPolicy loadPolicy() throws IOException {
    String problem;
    try {
      BootPolicy stored = BootPolicy.parseFrom(Files.readAllBytes(policyFile));
      problem = StateFiles.unknownFields(stored).or(() -> badImageName(stored)).orElse(null);
      if (problem == null) {
        // Images it names may have been deleted since (assign() skips them): only the shape is checked.
        BootPolicies.validate(stored, BootPolicies.ANY_IMAGE);
        return stored;
      }
    } catch (InvalidProtocolBufferException e) {
      problem = "not a BootPolicy (" + e.getMessage() + ")";
    } catch (CatalogException e) {
      problem = "not a valid boot policy (" + e.getMessage() + ")";
    }
    setAside.add(StateFiles.setAside(SERVICE, policyFile, problem
        + "; the default policy is in force until one is PUT", clock));
    return null;
  }

  /** A name in {@code p} that no image can have (bytes of another message read as a policy), described. */
  private static Optional<String> badImageName(BootPolicy p) {
    List<String> names = new ArrayList<>();
    names.add(p.getDefaultImage());
    p.getRulesList().forEach(r -> {
      names.add(r.getImage());
      names.addAll(r.getMenuList());
    });
    return names.stream().filter(n -> !n.isEmpty() && !NAME.matcher(n).matches()).findFirst()
        .map(n -> "not a boot policy: it names image '" + shorten(n) + "', which no image can be called");
  }

  /** The manifest or policy files {@link #open} set aside as corrupt (each with its ERROR line logged). */
  public List<SetAside> setAside() {
    return List.copyOf(setAside);
  }

  private Optional<ImageManifest> loadManifest(Path file) throws IOException {
    String fileName = file.getFileName().toString();
    String name = fileName.substring(0, fileName.length() - MANIFEST_SUFFIX.length());
    if (!NAME.matcher(name).matches() || !Files.isRegularFile(file)) {
      LOG.warn("ignoring {}: not an image manifest", file);
      return Optional.empty();
    }
    String problem;
    try {
      ImageManifest m = ImageManifest.parseFrom(Files.readAllBytes(file));
      problem = manifestProblem(m, name);
      if (problem == null) {
        // Manifests from before versions existed: their creation time orders them as well.
        return Optional.of(m.getVersion() > 0 ? m : m.toBuilder().setVersion(m.getCreatedAtMs()).build());
      }
    } catch (InvalidProtocolBufferException e) {
      problem = "not an ImageManifest (" + e.getMessage() + ")";
    }
    // The image does not exist without its manifest; its payload goes aside with it, not to the cleanup.
    setAside.add(StateFiles.setAside(SERVICE, file, problem + "; image '" + name + "' is not served", clock));
    Path payload = payloadDir.resolve(name);
    if (Files.exists(payload, LinkOption.NOFOLLOW_LINKS)) {
      setAside.add(StateFiles.setAside(SERVICE, payload, "the payload of corrupt manifest " + file, clock));
    }
    return Optional.empty();
  }

  /** What makes a parsed manifest untrustworthy as image {@code name}'s, or null. */
  static String manifestProblem(ImageManifest m, String name) {
    if (!m.getName().equals(name)) {
      return "it describes image '" + m.getName() + "', not '" + name + "'";
    }
    if (m.getKind() != io.boottorrent.proto.ImageKind.KEXEC && m.getKind() != io.boottorrent.proto.ImageKind.QEMU
        && m.getKind() != io.boottorrent.proto.ImageKind.EXEC) {
      return "unknown image kind " + m.getKindValue();
    }
    if (!INFO_HASH.matcher(m.getInfoHash()).matches()) {
      return "info_hash '" + shorten(m.getInfoHash()) + "' is not 40 lowercase hex digits";
    }
    if (m.getFilesCount() == 0 || m.getTorrent().isEmpty()) {
      return "no files or no torrent";
    }
    long total = 0;
    for (ImageFile f : m.getFilesList()) {
      if (!SAFE_FILE_NAME.matcher(f.getPath()).matches() || f.getSize() <= 0 || !SHA256.matcher(f.getSha256()).matches()) {
        return "file entry '" + shorten(f.getPath()) + "' (" + f.getSize() + " bytes) is not a stored file";
      }
      total += f.getSize();
    }
    if (total != m.getTotalSize()) {
      return "total_size " + m.getTotalSize() + " is not the sum of its files (" + total + ")";
    }
    return StateFiles.unknownFields(m).orElse(null);
  }

  private static String shorten(String s) {
    String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() > 64 ? printable.substring(0, 64) + "..." : printable;
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

  /**
   * The web seed's {@link PathRule}: payload files live in {@code payload/}, their content may be shared
   * with {@code blobs/} (hard links of the store's own owner).
   */
  public PathRule payloadRule() {
    return payloadRule;
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
    return add(request, new ImportProgress(request.getName(), clock.millis()));
  }

  /** {@link #add(AddImageRequest)}, reporting how far it has got to {@code progress}. */
  public ImageManifest add(AddImageRequest request, ImportProgress progress) throws IOException {
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
      long total = 0;
      for (Path source : sources) {
        total += Files.size(source);
      }
      progress.copying(total);
      return store(request, plan, sources, progress);
    } finally {
      synchronized (mutation) {
        adding.remove(name);
      }
    }
  }

  private ImageManifest store(AddImageRequest request, List<Source> plan, List<Path> sources, ImportProgress progress)
      throws IOException {
    String name = request.getName();
    Path staging = tmpDir.resolve(UUID.randomUUID().toString());
    Path root = staging.resolve(name);
    Path payload = payloadDir.resolve(name);
    Path manifestFile = manifestFile(name);
    boolean moved = false;
    boolean committed = false;
    long free = usableSpace(); // for the error if it does not fit: once the copy failed, it is 0
    try {
      Files.createDirectories(root);
      List<ImageFile> files = new ArrayList<>(plan.size());
      long total = 0;
      for (int i = 0; i < plan.size(); i++) {
        Source s = plan.get(i);
        Path target = root.resolve(s.targetName());
        Copied copied = copyAndHash(sources.get(i), target, s.field(), progress);
        files.add(ImageFile.newBuilder()
            .setRole(s.role())
            .setPath(s.targetName())
            .setSize(copied.size())
            .setSha256(copied.sha256())
            .build());
        total += copied.size();
      }
      progress.phase(ImportProgress.Phase.BUILDING_TORRENT);
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
          .setStreaming(request.getStreaming())
          .setCreatedAtMs(clock.millis())
          .setDescription(request.getDescription())
          .setTorrent(com.google.protobuf.ByteString.copyFrom(torrent.torrent()))
          .addAllTrackers(settings.trackers())
          .addAllWebSeeds(webSeeds);
      ImageManifest manifest;
      progress.phase(ImportProgress.Phase.COMMITTING);
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
        // A profile left by an earlier image of this name (its delete could not remove it) is of another torrent.
        dropProfile(name);
        writeAtomically(manifestFile, manifest.toByteArray());
        committed = true;
        images.put(name, manifest);
      }
      LOG.info("added image {} ({} {}, {} bytes, info-hash {})",
          name, request.getKind(), files.stream().map(ImageFile::getPath).toList(), total, torrent.infoHash());
      return manifest;
    } catch (IOException e) {
      if (!outOfSpace(e)) {
        throw e;
      }
      // The client learns what was short, not where (the log has the path); the finally removes it all.
      long needed = 0;
      for (Path source : sources) {
        needed += Files.size(source);
      }
      LOG.warn("image {} not added: {} (it needs {} bytes, {} were free)", name, e.getMessage(), needed, free);
      throw new OutOfSpace("no space left in the catalog's data dir for image '" + name + "': it needs " + needed
          + " bytes, " + free + " were free when the import began; nothing of it was kept, the other images are "
          + "served as before");
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
      dropProfile(name);
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

  // ------------------------------------------------------------------------------- boot profiles

  /**
   * Image {@code name}'s boot profile, if one is stored for its current torrent. The store holds no
   * other (an add or delete of a name drops its profile, {@link #open} drops stale files); the info hash
   * is compared all the same, so that a stale one is never served.
   */
  public Optional<BootProfile> bootProfile(String name) {
    ImageManifest m = name == null ? null : images.get(name);
    BootProfile p = name == null ? null : profiles.get(name);
    return m != null && p != null && BootProfiles.current(p, m) ? Optional.of(p) : Optional.empty();
  }

  /**
   * Stores {@code posted} as image {@code name}'s boot profile ({@link BootProfiles#validate}): the first
   * valid one for the image's current torrent; another is refused while it is stored.
   *
   * @param maxPieces {@code catalog.bootProfileMaxPieces}
   * @return the profile as stored: its image, canonical {@code recorded_by}, {@code recorded_at_ms} now
   * @throws CatalogException 404 no such image, 400 a field out of range, 409 another torrent or a
   *     profile stored already
   */
  public BootProfile putBootProfile(String name, BootProfile posted, int maxPieces) throws IOException {
    synchronized (mutation) {
      ensureOpen();
      ImageManifest m = name == null ? null : images.get(name);
      if (m == null) {
        throw CatalogException.notFound("no image named '" + name + "'");
      }
      BootProfiles.checkTorrent(m, posted);
      Optional<BootProfile> stored = bootProfile(name);
      if (stored.isPresent()) {
        throw BootProfiles.alreadyRecorded(stored.get());
      }
      if (images.containsKey(name + PROFILE_STEM)) {
        throw CatalogException.conflict("image " + name + "'s boot profile would be written over the manifest of "
            + "image '" + name + PROFILE_STEM + "' (a name refused since boot profiles exist: rename that image)");
      }
      BootProfile valid = BootProfiles.validate(m, posted, maxPieces, clock.millis());
      writeAtomically(profileFile(name), valid.toByteArray());
      profiles.put(name, valid);
      LOG.info("boot profile of image {} (torrent {}) recorded by {}: {} piece(s) over {} ms", name,
          valid.getInfoHash(), valid.getRecordedBy(), valid.getPiecesCount(),
          valid.getReadAtMs(valid.getReadAtMsCount() - 1));
      return valid;
    }
  }

  /**
   * Deletes image {@code name}'s boot profile, so that the next one posted is taken.
   *
   * @return the profile deleted; empty if there was none
   * @throws CatalogException 404 if there is no such image
   */
  public Optional<BootProfile> deleteBootProfile(String name) throws IOException {
    synchronized (mutation) {
      ensureOpen();
      if (name == null || !images.containsKey(name)) {
        throw CatalogException.notFound("no image named '" + name + "'");
      }
      Optional<BootProfile> current = bootProfile(name);
      if (current.isPresent()) {
        // the file first: a profile whose file stayed would be back after a restart
        Files.deleteIfExists(profileFile(name));
        fsyncDirectory(imagesDir);
        profiles.remove(name);
        LOG.info("deleted the boot profile of image {} (recorded by {})", name, current.get().getRecordedBy());
      }
      return current;
    }
  }

  /** Forgets image {@code name}'s profile and removes its file; a file that stays is logged (open drops it). */
  private void dropProfile(String name) {
    profiles.remove(name);
    deleteProfileFile(name);
  }

  private void deleteProfileFile(String name) {
    if (images.containsKey(name + PROFILE_STEM)) {
      return; // that file is the manifest of an image named so before the suffix was refused
    }
    try {
      if (Files.deleteIfExists(profileFile(name))) {
        fsyncDirectory(imagesDir);
      }
    } catch (IOException e) {
      LOG.warn("could not remove the boot profile of image {} (the next start-up drops it): {}", name, e.toString());
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
    if (r.getName().endsWith(PROFILE_STEM)) {
      throw CatalogException.badRequest("invalid image name '" + r.getName() + "': it may not end in " + PROFILE_STEM
          + " (<name>" + PROFILE_SUFFIX + " is image <name>'s boot profile)");
    }
    List<Source> plan = new ArrayList<>(2);
    switch (r.getKind()) {
      case KEXEC -> {
        forbidStreaming(r, "kexec");
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
        plan.add(new Source("disk", r.getDisk(), "disk", torrentFileName(r.getDisk(), "disk.img")));
      }
      case EXEC -> {
        forbidStreaming(r, "exec");
        require(r.getBinary(), "binary", "exec");
        forbidKexecFields(r, "exec");
        forbid(r.getDisk(), "disk", "exec");
        plan.add(new Source("binary", r.getBinary(), "binary", torrentFileName(r.getBinary(), "binary")));
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

  /** Only a qemu image is streamed: the setting on another kind is a mistake, said so. */
  private static void forbidStreaming(AddImageRequest r, String kind) {
    if (r.getStreaming() != io.boottorrent.proto.Streaming.STREAMING_AUTO) {
      throw CatalogException.badRequest("streaming " + r.getStreaming() + " is for qemu images, not " + kind);
    }
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
  private static String torrentFileName(String source, String fallback) {
    int slash = source.lastIndexOf('/');
    String name = source.substring(slash + 1); // not Path.of: a NUL would throw before the rule answers 400
    return SAFE_FILE_NAME.matcher(name).matches() ? name : fallback;
  }

  /**
   * The real path of a source file, by the one {@link PathRule} (docs/SECURITY.md, "Paths"): an
   * absolute, well-formed path (400), inside an import root with symlinks resolved and not someone
   * else's hard link (403), an existing regular non-empty file (422). A missing file outside every
   * root is a 403, like an existing one: the answer does not reveal what exists outside the roots.
   */
  private Path resolveSource(String field, String value) throws IOException {
    if (!value.startsWith("/")) {
      throw CatalogException.badRequest(field + ": '" + value + "' must be an absolute path on the server");
    }
    PathRule.Found found;
    try {
      found = new PathRule(settings.effectiveImportRoots()).at(value);
    } catch (PathRule.Refused e) {
      throw switch (e.verdict()) {
        case BAD_NAME -> CatalogException.badRequest(field + ": invalid path: " + e.getMessage());
        case OUTSIDE -> CatalogException.forbidden(field + ": '" + value + "' is not inside an import root ("
            + e.getMessage() + ")");
        case NOT_FOUND -> CatalogException.unprocessable(field + ": no such file '" + value + "' ("
            + e.getMessage() + ")");
      };
    }
    if (found.size() == 0) {
      throw CatalogException.unprocessable(field + ": '" + value + "' is empty");
    }
    return found.file();
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

  /** The errno text of ENOSPC as the JDK reports it ({@link FileSystemException#getReason}). */
  static final String NO_SPACE = "No space left on device";

  /** An add the data dir has no room for: 507 Insufficient Storage, nothing of the image left behind. */
  public static final class OutOfSpace extends IOException implements io.boottorrent.server.Rest.ClientError {
    OutOfSpace(String message) {
      super(message);
    }

    @Override
    public int status() {
      return 507;
    }
  }

  /** ENOSPC: from Files.* as a FileSystemException's reason, from a stream or channel write as the message. */
  static boolean outOfSpace(IOException e) {
    return NO_SPACE.equals(e instanceof FileSystemException fs ? fs.getReason() : e.getMessage());
  }

  private long usableSpace() {
    try {
      return Files.getFileStore(tmpDir).getUsableSpace();
    } catch (IOException e) {
      return -1;
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

  private static Copied copyAndHash(Path source, Path target, String field, ImportProgress progress) throws IOException {
    MessageDigest sha = sha256();
    long size = 0;
    ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER);
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (in.read(buffer) >= 0) {
        buffer.flip();
        sha.update(buffer);
        buffer.rewind();
        int chunk = 0;
        while (buffer.hasRemaining()) {
          chunk += out.write(buffer);
        }
        size += chunk;
        progress.copied(chunk);
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

  private Path profileFile(String name) {
    return imagesDir.resolve(name + PROFILE_SUFFIX);
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
