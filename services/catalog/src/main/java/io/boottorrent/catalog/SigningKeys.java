package io.boottorrent.catalog;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.boottorrent.core.StateFiles;
import io.boottorrent.core.trust.Ed25519;
import io.boottorrent.core.trust.TrustException;
import io.boottorrent.proto.KeyEntry;
import io.boottorrent.proto.KeyRing;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog's Ed25519 signing keys, kept in one {@link KeyRing} file ({@code <dataDir>/catalog/keys.pb},
 * mode 0600, replaced atomically). One key is active; {@link #rotate} makes a new one active and keeps
 * the previous one signing beside it for an overlap, so that agents which trust only the previous key
 * (client images built before the rotation) still boot until they are rebuilt. After the overlap a
 * retired key signs nothing and its private half is erased from the file.
 *
 * <p>Blocking (disk, key generation): call from a worker. Thread-safe.
 */
public final class SigningKeys {
  private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);
  public static final String FILE_NAME = "keys.pb";

  private final Path file;
  private final Clock clock;
  private KeyRing ring;
  /** {@link #signing()} as last computed, and until when it holds (an overlap ending changes it). */
  private List<KeyPair> signingCache;
  private List<String> fingerprintCache;
  private long cacheUntilMs;

  private SigningKeys(Path file, Clock clock, KeyRing ring) {
    this.file = file;
    this.clock = clock;
    this.ring = ring;
  }

  /** The key ring file in a data dir. */
  public static Path fileIn(Path dataDir) {
    return dataDir.resolve("catalog").resolve(FILE_NAME);
  }

  /**
   * Opens the key ring, creating it with one new key if there is none.
   *
   * @throws IOException unreadable or corrupt file (named), or a write failure
   */
  public static SigningKeys open(Path file, Clock clock) throws IOException {
    if (!Files.exists(file)) {
      SigningKeys created = create(file, clock);
      LOG.info("created signing key {} in {}", created.active().getFingerprint(), file);
      return created;
    }
    SigningKeys keys = new SigningKeys(file, clock, read(file));
    keys.expire();
    return keys;
  }

  /**
   * A new key ring with one new active key.
   *
   * @throws FileAlreadyExistsException if the file exists (never overwrites keys)
   */
  public static SigningKeys create(Path file, Clock clock) throws IOException {
    if (Files.exists(file)) {
      throw new FileAlreadyExistsException(file.toString(), null, "a key ring exists already");
    }
    SigningKeys keys = new SigningKeys(file, clock,
        KeyRing.newBuilder().addKeys(newEntry(clock.millis())).build());
    keys.save();
    return keys;
  }

  /**
   * The ring in {@code file}. A corrupt one is left where it is and the catalog does not start
   * ({@link StateFiles.CorruptStateException}): setting it aside would make the next start create a new
   * key, and every client image that pins the old one would refuse to boot (docs/SECURITY.md "Corrupt
   * state files").
   */
  private static KeyRing read(Path file) throws IOException {
    String problem = null;
    KeyRing ring = null;
    try {
      ring = KeyRing.parseFrom(Files.readAllBytes(file));
      problem = StateFiles.unknownFields(ring).orElse(null);
    } catch (InvalidProtocolBufferException e) {
      problem = "not a KeyRing (" + e.getMessage() + ")";
    }
    if (problem == null) {
      long active = ring.getKeysList().stream().filter(k -> k.getRetiredAtMs() == 0).count();
      if (active != 1) {
        problem = "it has " + active + " active keys, expected 1";
      }
    }
    if (problem == null) {
      for (KeyEntry k : ring.getKeysList()) {
        try {
          Ed25519.publicKey(k.getPublicKey().toByteArray());
          if (!k.getPrivateKey().isEmpty()) {
            Ed25519.privateKey(k.getPrivateKey().toByteArray());
          }
        } catch (TrustException e) {
          problem = "key " + k.getFingerprint() + ": " + e.getMessage();
          break;
        }
      }
    }
    if (problem != null) {
      throw StateFiles.refuse("catalog", file, "corrupt key ring: " + problem, "a new key would make every client"
          + " image that pins the old one refuse to boot; restore " + FILE_NAME + " from a backup, or move it away"
          + " to start over with a new key (then rebuild every client image)");
    }
    return ring;
  }

  private static KeyEntry newEntry(long nowMs) {
    KeyPair pair = Ed25519.generate();
    byte[] pub = pair.getPublic().getEncoded();
    return KeyEntry.newBuilder()
        .setFingerprint(Ed25519.fingerprint(pub))
        .setPublicKey(ByteString.copyFrom(pub))
        .setPrivateKey(ByteString.copyFrom(pair.getPrivate().getEncoded()))
        .setCreatedAtMs(nowMs)
        .build();
  }

  /** The active key. */
  public synchronized KeyEntry active() {
    return ring.getKeysList().stream().filter(k -> k.getRetiredAtMs() == 0).findFirst().orElseThrow();
  }

  /** The key ring without private keys: what {@code GET /api/v1/keys} and {@code keys show} print. */
  public synchronized KeyRing publicView() {
    KeyRing.Builder out = KeyRing.newBuilder();
    for (KeyEntry k : ring.getKeysList()) {
      out.addKeys(k.toBuilder().clearPrivateKey());
    }
    return out.build();
  }

  /** The keys that sign now: the active one first, then retired ones still in their overlap. */
  public synchronized List<KeyPair> signing() {
    refresh();
    return signingCache;
  }

  /** Fingerprints of {@link #signing()}, in the same order. */
  public synchronized List<String> signingFingerprints() {
    refresh();
    return fingerprintCache;
  }

  private void refresh() {
    long now = clock.millis();
    if (signingCache != null && now < cacheUntilMs) {
      return;
    }
    List<KeyPair> out = new ArrayList<>();
    out.add(pair(active()));
    long until = Long.MAX_VALUE;
    for (KeyEntry k : ring.getKeysList()) {
      if (k.getRetiredAtMs() != 0 && k.getSignsUntilMs() > now && !k.getPrivateKey().isEmpty()) {
        out.add(pair(k));
        until = Math.min(until, k.getSignsUntilMs());
      }
    }
    signingCache = List.copyOf(out);
    fingerprintCache = out.stream().map(p -> Ed25519.fingerprint(p.getPublic())).toList();
    cacheUntilMs = until;
  }

  /**
   * A new active key; the previous one goes on signing for {@code overlap}.
   *
   * @return the new active key (without its private half)
   */
  public synchronized KeyEntry rotate(Duration overlap) throws IOException {
    long now = clock.millis();
    KeyRing.Builder next = KeyRing.newBuilder();
    for (KeyEntry k : ring.getKeysList()) {
      next.addKeys(k.getRetiredAtMs() != 0 ? k
          : k.toBuilder().setRetiredAtMs(now).setSignsUntilMs(now + overlap.toMillis()).build());
    }
    KeyEntry fresh = newEntry(now);
    next.addKeys(fresh);
    KeyRing previous = ring;
    ring = next.build();
    signingCache = null;
    try {
      save();
    } catch (IOException e) {
      ring = previous;
      throw e;
    }
    LOG.info("rotated signing keys: {} is active; {} signs beside it until {}", fresh.getFingerprint(),
        previous.getKeysList().stream().filter(k -> k.getRetiredAtMs() == 0).findFirst().orElseThrow().getFingerprint(),
        java.time.Instant.ofEpochMilli(now + overlap.toMillis()));
    return fresh.toBuilder().clearPrivateKey().build();
  }

  /** Erases the private half of retired keys whose overlap is over. */
  public synchronized void expire() throws IOException {
    long now = clock.millis();
    boolean changed = false;
    KeyRing.Builder next = KeyRing.newBuilder();
    for (KeyEntry k : ring.getKeysList()) {
      if (k.getRetiredAtMs() != 0 && k.getSignsUntilMs() <= now && !k.getPrivateKey().isEmpty()) {
        next.addKeys(k.toBuilder().clearPrivateKey());
        changed = true;
        LOG.info("signing key {}: its overlap ended, private key erased", k.getFingerprint());
      } else {
        next.addKeys(k);
      }
    }
    if (changed) {
      ring = next.build();
      signingCache = null;
      save();
    }
  }

  private static KeyPair pair(KeyEntry k) {
    try {
      return new KeyPair(Ed25519.publicKey(k.getPublicKey().toByteArray()),
          Ed25519.privateKey(k.getPrivateKey().toByteArray()));
    } catch (TrustException e) {
      throw new IllegalStateException("key " + k.getFingerprint() + ": " + e.getMessage(), e);
    }
  }

  /** Writes the ring to a 0600 temporary file, fsyncs it and renames it over the file. */
  private void save() throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(ring.toByteArray()));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}
