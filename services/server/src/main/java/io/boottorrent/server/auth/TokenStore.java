package io.boottorrent.server.auth;

import com.google.protobuf.ByteString;
import io.boottorrent.core.DirectoryLock;
import io.boottorrent.core.StateFiles;
import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.Role;
import io.boottorrent.proto.StoredToken;
import io.boottorrent.proto.TokenStoreFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Bearer tokens with a role, kept in {@code <dir>/tokens.pb} ({@link TokenStoreFile}): each token's
 * id, name, role, creation time and the SHA-256 of its secret; never the secret. The secret is shown
 * once, by {@link #create}.
 *
 * <p><b>Why a plain SHA-256 and not a password hash (bcrypt, scrypt, PBKDF2):</b> a password hash is
 * slow on purpose, so that guessing a low-entropy human password from a stolen hash costs years. Our
 * secrets are 256 random bits from {@link SecureRandom}: nobody can guess one, fast hash or not, so
 * stretching would only slow down every request. SHA-256 keeps the stored file from being a list of
 * usable tokens. Lookup is by the hash (a map key), so the time a lookup takes tells an attacker
 * about a hash, not about any secret (finding a secret for a hash is a preimage).
 *
 * <p>Every change rewrites the file (temporary file, fsync, atomic rename, fsync of the folder) before
 * it returns; files are created readable by their owner only. {@link #authenticate}, {@link #list} and
 * {@link #find} only read memory and may be called on an event loop; {@link #create}, {@link #revoke}
 * and {@link #open} write to disk and belong on a worker thread. One store per folder: {@link #open}
 * takes the folder's {@code tokens.lock} (a second one, in this or another process, fails naming it).
 *
 * <p>A file that does not read as tokens (corrupt, another type, a token without hash or role) is set
 * aside as {@code tokens.pb.corrupt-<UTC time>} ({@link StateFiles}) and the store opens empty, as on a
 * first start: fail closed, and {@link #bootstrap} writes a new admin token (docs/SECURITY.md "Corrupt
 * state files").
 */
public final class TokenStore implements AutoCloseable {
  public static final String FILE = "tokens.pb";
  public static final String LOCK = "tokens.lock";
  /** Where {@link #bootstrap} leaves the first admin token (read it once, then delete it). */
  public static final String ADMIN_TOKEN_FILE = "admin.token";
  /** Every secret starts with this, so that it is recognisable (in a log, a scanner, a paste). */
  public static final String SECRET_PREFIX = "btk_";
  /** Random bytes in a secret (256 bits). */
  public static final int SECRET_BYTES = 32;
  public static final int MAX_NAME_LENGTH = 64;
  public static final String BOOTSTRAP_NAME = "bootstrap-admin";

  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private final Path dir;
  private final Path file;
  private final DirectoryLock lock;
  private final SecureRandom random;
  private final Clock clock;
  private final boolean existed;
  /** By hash; replaced as a whole on each change, so readers never lock. */
  private volatile Map<ByteString, StoredToken> byHash;
  private StateFiles.SetAside setAside;
  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[0-9a-f]{12}");

  /** A new token: what it is, and its secret, which exists nowhere else. */
  public record Created(ApiToken token, String secret) {
    @Override
    public String toString() {
      return "Created[" + token.getId() + " " + token.getName() + "]"; // never the secret
    }
  }

  private TokenStore(Path dir, DirectoryLock lock, SecureRandom random, Clock clock, boolean existed,
      Map<ByteString, StoredToken> byHash) {
    this.dir = dir;
    this.file = dir.resolve(FILE);
    this.lock = lock;
    this.random = random;
    this.clock = clock;
    this.existed = existed;
    this.byHash = byHash;
  }

  /** Opens (and locks) the store in {@code dir}, created if missing. */
  public static TokenStore open(Path dir) throws IOException {
    return open(dir, new SecureRandom(), Clock.systemUTC());
  }

  static TokenStore open(Path dir, SecureRandom random, Clock clock) throws IOException {
    Files.createDirectories(dir);
    DirectoryLock lock = DirectoryLock.acquire(dir.resolve(LOCK),
        "token store " + dir + " is in use by another process (a running catalog?)");
    try {
      Path file = dir.resolve(FILE);
      boolean existed = Files.exists(file);
      Map<ByteString, StoredToken> tokens = new LinkedHashMap<>();
      StateFiles.SetAside setAside = null;
      if (existed) {
        String problem;
        try {
          problem = load(TokenStoreFile.parseFrom(Files.readAllBytes(file)), tokens);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          problem = "not a TokenStoreFile (" + e.getMessage() + ")";
        }
        if (problem != null) {
          // Fail closed: no token it held is trusted. The store starts empty, as on a first start, so
          // bootstrap() leaves a new admin token in admin.token (readable by whoever could corrupt this).
          tokens.clear();
          setAside = StateFiles.setAside("catalog", file, problem + "; every token it held is void, a new admin"
              + " token is written to " + dir.resolve(ADMIN_TOKEN_FILE), clock);
          existed = false;
        }
      }
      TokenStore store = new TokenStore(dir, lock, random, clock, existed, Map.copyOf(tokens));
      store.setAside = setAside;
      return store;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /** Fills {@code into} from {@code stored}; what makes it untrustworthy, or null. */
  private static String load(TokenStoreFile stored, Map<ByteString, StoredToken> into) {
    Optional<String> unknown = StateFiles.unknownFields(stored);
    if (unknown.isPresent()) {
      return unknown.get();
    }
    for (int i = 0; i < stored.getTokensCount(); i++) {
      StoredToken t = stored.getTokens(i);
      ApiToken token = t.getToken();
      if (t.getSecretSha256().size() != 32 || !ID.matcher(token.getId()).matches()
          || !Roles.ALL.contains(token.getRole())) {
        return "token " + i + " has no 32-byte hash, a malformed id or no role";
      }
      try {
        checkName(token.getName());
      } catch (IllegalArgumentException e) {
        return "token " + i + ": " + e.getMessage();
      }
      into.put(t.getSecretSha256(), t);
    }
    return null;
  }

  public Path dir() {
    return dir;
  }

  /** The corrupt token file {@link #open} set aside, if it did. */
  public Optional<StateFiles.SetAside> setAside() {
    return Optional.ofNullable(setAside);
  }

  /**
   * On a store that did not exist before {@link #open}: creates an admin token named
   * {@value #BOOTSTRAP_NAME} and writes its secret to {@code <dir>/admin.token}, readable by this
   * process's user only. Returns that file; empty when the store already existed (its tokens are the
   * operator's business, even if they revoked them all).
   */
  public synchronized Optional<Path> bootstrap() throws IOException {
    if (existed || !byHash.isEmpty()) {
      return Optional.empty();
    }
    Created admin = create(BOOTSTRAP_NAME, Role.ADMIN);
    Path target = dir.resolve(ADMIN_TOKEN_FILE);
    writeOwnerOnly(target, (admin.secret() + "\n").getBytes(StandardCharsets.US_ASCII));
    return Optional.of(target);
  }

  /**
   * A new token for {@code name} with {@code role}, stored before this returns.
   *
   * @throws IllegalArgumentException for a blank, too long or unprintable name, or no role
   */
  public synchronized Created create(String name, Role role) throws IOException {
    checkName(name);
    if (!Roles.ALL.contains(role)) {
      throw new IllegalArgumentException("role is required: one of viewer, operator, admin");
    }
    byte[] secretBytes = new byte[SECRET_BYTES];
    random.nextBytes(secretBytes);
    String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
    byte[] idBytes = new byte[6];
    random.nextBytes(idBytes);
    ApiToken token = ApiToken.newBuilder().setId(HexFormat.of().formatHex(idBytes)).setName(name)
        .setRole(role).setCreatedMs(clock.millis()).build();
    Map<ByteString, StoredToken> next = new LinkedHashMap<>(byHash);
    next.put(hash(secret), StoredToken.newBuilder().setToken(token).setSecretSha256(hash(secret)).build());
    persist(next);
    return new Created(token, secret);
  }

  /** Revokes the token {@code id}: from now on it authenticates nobody. Empty: no such token. */
  public synchronized Optional<ApiToken> revoke(String id) throws IOException {
    Map<ByteString, StoredToken> next = new LinkedHashMap<>(byHash);
    Optional<ApiToken> removed = next.values().stream().map(StoredToken::getToken)
        .filter(t -> t.getId().equals(id)).findFirst();
    if (removed.isPresent()) {
      next.values().removeIf(t -> t.getToken().getId().equals(id));
      persist(next);
    }
    return removed;
  }

  /** The token whose secret this is, if it is one and not revoked. Memory only. */
  public Optional<ApiToken> authenticate(String secret) {
    if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
      return Optional.empty();
    }
    StoredToken t = byHash.get(hash(secret));
    return t == null ? Optional.empty() : Optional.of(t.getToken());
  }

  /** The token whose secret has this SHA-256 ({@link #hash}), if not revoked. Memory only. */
  public Optional<ApiToken> authenticateHash(ByteString secretSha256) {
    StoredToken t = byHash.get(secretSha256);
    return t == null ? Optional.empty() : Optional.of(t.getToken());
  }

  /** Every token, oldest first. Memory only. */
  public List<ApiToken> list() {
    List<ApiToken> out = new ArrayList<>();
    byHash.values().forEach(t -> out.add(t.getToken()));
    out.sort(Comparator.comparingLong(ApiToken::getCreatedMs).thenComparing(ApiToken::getId));
    return out;
  }

  public Optional<ApiToken> find(String id) {
    return list().stream().filter(t -> t.getId().equals(id)).findFirst();
  }

  @Override
  public void close() throws IOException {
    lock.close();
  }

  /** SHA-256 of a secret, what the store keeps and looks tokens up by. */
  public static ByteString hash(String secret) {
    try {
      return ByteString.copyFrom(MessageDigest.getInstance("SHA-256")
          .digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static void checkName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("token name is required");
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("token name is " + name.length() + " characters, at most "
          + MAX_NAME_LENGTH + " allowed");
    }
    if (!name.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("token name '" + name.replaceAll("[^\\x20-\\x7e]", "?")
          + "' has characters other than printable ASCII");
    }
  }

  private void persist(Map<ByteString, StoredToken> next) throws IOException {
    writeOwnerOnly(file, TokenStoreFile.newBuilder().addAllTokens(next.values()).build().toByteArray());
    byHash = Map.copyOf(next);
  }

  /**
   * Writes {@code bytes} to a new file readable by its owner only (mode 0600 from its creation, not
   * chmod-ed after), syncs it and renames it over {@code target}, then syncs the folder.
   */
  static void writeOwnerOnly(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      try (FileChannel out = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          ownerOnly(target.getParent()))) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      } catch (FileAlreadyExistsException e) {
        throw new IOException("cannot create " + tmp + ": it appeared while writing (two writers?)", e);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
        d.force(true);
      } catch (IOException | UnsupportedOperationException e) {
        // not every platform can open a folder; the file itself is synced
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static FileAttribute<?> ownerOnly(Path dir) throws IOException {
    if (!Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      throw new IOException("cannot make files in " + dir + " readable by their owner only: "
          + "its file system has no POSIX permissions");
    }
    return PosixFilePermissions.asFileAttribute(OWNER_ONLY);
  }
}
