package io.boottorrent.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one rule for every file a client or operator names: the web seed ({@code /seed/}), HTTP boot
 * ({@code /boot/}), TFTP and image import all look files up through it (docs/SECURITY.md, "Paths").
 *
 * <p><b>Names</b> (lexical, before the file system is asked): a name is decoded at most once by its
 * protocol ({@link #decodeOnce} for a URL path; TFTP and import names are taken as they come), then
 * split on {@code /}. Empty segments (a leading {@code /}, doubled slashes) and {@code .} are
 * dropped: they cannot leave a root. Refused as malformed ({@link Verdict#BAD_NAME}): control
 * characters (NUL included), backslashes, {@code :} (drive letters, NTFS streams), {@code %} (left
 * over after the one decoding: a double-encoded name), a segment starting with a dot other than
 * {@code .} itself ({@code ..}, {@code ...}, hidden files like {@code .ssh}), a trailing {@code /}, a segment over {@value #MAX_SEGMENT_BYTES} bytes
 * (NAME_MAX) or a name over {@value #MAX_NAME_CHARS} characters.
 *
 * <p><b>Roots</b>: the folders a path serves from, searched in order; a root may also be a single
 * file (Debian's {@code /boot/ipxe.efi}, the target of {@code /usr/lib/ipxe/ipxe.efi}). The first
 * root holding an entry of that name decides. <b>Symlinks</b> are followed only when the file's real
 * path (every link resolved) is inside one of that path's roots or is a file root: a link to a file
 * or folder anywhere else is {@link Verdict#OUTSIDE}, a dangling link or a loop is
 * {@link Verdict#NOT_FOUND}. A folder, a device or a FIFO is NOT_FOUND: only regular files are served.
 *
 * <p><b>Hard links</b> cannot be told from the original by any path. What is checked: a file with
 * more than one link whose owner is not the owner of the root it lies in is OUTSIDE (it is someone
 * else's file that was linked in, as {@code /etc/shadow} could be where {@code fs.protected_hardlinks}
 * is 0). A hard link to a file of the root's own owner is served: whoever made it could read the file
 * anyway (with {@code fs.protected_hardlinks=1} the kernel lets only the owner, or a user who may read
 * and write it, link a file). {@link #protectedHardlinks} reports the kernel setting.
 *
 * <p>A refusal's reason never names a server path. Lookups are blocking: call them off the event loop.
 */
public final class PathRule {
  public static final int MAX_SEGMENT_BYTES = 255;
  public static final int MAX_NAME_CHARS = 1024;

  /** Why a name is refused; each path maps it to its protocol's answer. */
  public enum Verdict {
    /** The name itself is malformed (HTTP 400, TFTP ACCESS_VIOLATION). */
    BAD_NAME,
    /** The name leads out of the roots: a symlink out, someone else's hard link (HTTP 403, TFTP ACCESS_VIOLATION). */
    OUTSIDE,
    /** No regular file of that name (HTTP 404, import 422, TFTP FILE_NOT_FOUND). */
    NOT_FOUND
  }

  /** A refused name, with a reason that names no server path. */
  public static final class Refused extends Exception {
    private final Verdict verdict;

    public Refused(Verdict verdict, String reason) {
      super(reason, null, false, false);
      this.verdict = Objects.requireNonNull(verdict);
    }

    public Verdict verdict() {
      return verdict;
    }
  }

  /**
   * A file served: its real path, size, and which root it came from (index into the roots, or -1 for
   * a file checked with {@link #check} outside the lookup).
   */
  public record Found(Path file, long size, int root) {}

  private final List<Path> roots;
  /** The roots, then folders a symlink may lead to that are not searched by name. */
  private final List<Path> allowed;

  /** @param roots the folders (or single files) of one path, in lookup order */
  public PathRule(List<Path> roots) {
    this(roots, List.of());
  }

  /**
   * @param roots the folders (or single files) of one path, in lookup order
   * @param linkTargets folders (or files) a symlink in the roots may also lead to, and {@link #check}
   *     accepts, though no name is looked up in them (the Secure Boot chain's package folders)
   */
  public PathRule(List<Path> roots, List<Path> linkTargets) {
    this.roots = roots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    List<Path> all = new ArrayList<>(this.roots);
    linkTargets.stream().map(p -> p.toAbsolutePath().normalize()).filter(p -> !all.contains(p)).forEach(all::add);
    this.allowed = List.copyOf(all);
  }

  public List<Path> roots() {
    return roots;
  }

  // ------------------------------------------------------------------------------------ lexical

  /**
   * The segments of a name after the lexical checks (see the class comment).
   *
   * @throws Refused BAD_NAME for a malformed name, NOT_FOUND for one that names no file ({@code /}, {@code .})
   */
  public static List<String> segments(String name) throws Refused {
    if (name == null) {
      throw new Refused(Verdict.NOT_FOUND, "no file name");
    }
    if (name.length() > MAX_NAME_CHARS) {
      throw new Refused(Verdict.BAD_NAME, "file name longer than " + MAX_NAME_CHARS + " characters");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        throw new Refused(Verdict.BAD_NAME, c == 0 ? "NUL in file name" : "control character in file name");
      }
      switch (c) {
        case '\\' -> throw new Refused(Verdict.BAD_NAME, "backslash in file name");
        case ':' -> throw new Refused(Verdict.BAD_NAME, "':' in file name");
        case '%' -> throw new Refused(Verdict.BAD_NAME, "'%' in file name (names are decoded once)");
        default -> { }
      }
    }
    List<String> segments = new ArrayList<>();
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue; // leading slash, doubled slashes, "./": all relative to the root
      }
      if (segment.startsWith(".")) {
        throw new Refused(Verdict.BAD_NAME, segment.chars().allMatch(c -> c == '.')
            ? "'" + segment + "' in file name" : "a hidden file (a name starting with '.')");
      }
      if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        throw new Refused(Verdict.BAD_NAME, "a file name segment longer than " + MAX_SEGMENT_BYTES + " bytes");
      }
      segments.add(segment);
    }
    if (name.endsWith("/") && !segments.isEmpty()) {
      throw new Refused(Verdict.BAD_NAME, "file name ends in '/'");
    }
    if (segments.isEmpty()) {
      throw new Refused(Verdict.NOT_FOUND, "the name names a folder, not a file");
    }
    return List.copyOf(segments);
  }

  /**
   * Percent-decodes a URL path once, as UTF-8. What the decoding yields is not decoded again: a
   * {@code %25} becomes a {@code %}, which {@link #segments} then refuses.
   *
   * @throws Refused BAD_NAME for a broken escape or bytes that are not UTF-8
   */
  public static String decodeOnce(String path) throws Refused {
    if (path.indexOf('%') < 0) {
      return path;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%') {
        int hi = i + 2 < path.length() ? Character.digit(path.charAt(i + 1), 16) : -1;
        int lo = hi >= 0 ? Character.digit(path.charAt(i + 2), 16) : -1;
        if (lo < 0) {
          throw new Refused(Verdict.BAD_NAME, "broken %-escape in file name");
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < path.length()) {
          utf8 = path.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        bytes.writeBytes(utf8);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new Refused(Verdict.BAD_NAME, "file name is not UTF-8");
    }
  }

  // --------------------------------------------------------------------------------- file system

  /** Looks {@code name} up in the roots, in order (blocking). */
  public Found find(String name) throws Refused {
    return find(segments(name));
  }

  /** Looks checked {@link #segments} up in the roots, in order (blocking). */
  public Found find(List<String> segments) throws Refused {
    List<Path> real = realRoots();
    for (int i = 0; i < roots.size(); i++) {
      Path base = real.get(i);
      if (base == null || !Files.isDirectory(base)) {
        continue; // a missing root (/usr/lib/ipxe without the package) or a file root holds no names
      }
      Path candidate = base;
      for (String segment : segments) {
        candidate = candidate.resolve(segment);
      }
      if (Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
        return check(candidate, real, i);
      }
    }
    throw new Refused(Verdict.NOT_FOUND, "no such file");
  }

  /**
   * An absolute path an operator gave (image import): lexically inside one of the roots, then the
   * same checks as {@link #find}.
   *
   * @throws Refused BAD_NAME if not absolute or malformed, OUTSIDE if no root contains it
   */
  public Found at(String absolutePath) throws Refused {
    if (absolutePath == null || !absolutePath.startsWith("/")) {
      throw new Refused(Verdict.BAD_NAME, "not an absolute path");
    }
    Path given = Path.of("/" + String.join("/", segments(absolutePath)));
    List<Path> real = realRoots();
    for (int i = 0; i < roots.size(); i++) {
      Path lexical = roots.get(i);
      Path resolved = real.get(i);
      if (given.startsWith(lexical) || (resolved != null && given.startsWith(resolved))) {
        if (!Files.exists(given, LinkOption.NOFOLLOW_LINKS)) {
          throw new Refused(Verdict.NOT_FOUND, "no such file");
        }
        return check(given, real, i);
      }
    }
    throw new Refused(Verdict.OUTSIDE, "not inside a permitted folder");
  }

  /** Checks a file named outside the lookup (a configured alias) against the same rule. */
  public Found check(Path file) throws Refused {
    return check(file.toAbsolutePath().normalize(), realRoots(), -1);
  }

  private Found check(Path candidate, List<Path> realRoots, int index) throws Refused {
    Path real;
    try {
      real = candidate.toRealPath();
    } catch (AccessDeniedException e) {
      throw new Refused(Verdict.OUTSIDE, "file is not readable");
    } catch (IOException missingDanglingOrLoop) {
      throw new Refused(Verdict.NOT_FOUND, "no such file (dangling symlink or loop)");
    }
    int home = -1;
    for (int i = 0; i < realRoots.size(); i++) {
      Path root = realRoots.get(i);
      if (root != null && real.startsWith(root)) {
        home = i;
        break;
      }
    }
    if (home < 0) {
      throw new Refused(Verdict.OUTSIDE, "file leads out of the served folders");
    }
    Map<String, Object> attrs;
    try {
      attrs = Files.readAttributes(real, "unix:mode,nlink,uid,size,isRegularFile", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
      attrs = null;
    } catch (IOException e) {
      throw new Refused(Verdict.NOT_FOUND, "no such file");
    }
    if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
      throw new Refused(Verdict.NOT_FOUND, "not a regular file");
    }
    if (attrs != null && attrs.get("nlink") instanceof Integer links && links > 1) {
      Integer rootOwner = owner(realRoots.get(home));
      if (rootOwner != null && !rootOwner.equals(attrs.get("uid"))) {
        throw new Refused(Verdict.OUTSIDE, "a hard link to a file of another owner");
      }
    }
    if (!Files.isReadable(real)) {
      throw new Refused(Verdict.OUTSIDE, "file is not readable");
    }
    try {
      return new Found(real, Files.size(real), index);
    } catch (IOException e) {
      throw new Refused(Verdict.NOT_FOUND, "no such file");
    }
  }

  /** The real paths of the roots, then of the link targets (null where missing), in that order. */
  private List<Path> realRoots() {
    List<Path> real = new ArrayList<>(allowed.size());
    for (Path root : allowed) {
      try {
        real.add(root.toRealPath());
      } catch (IOException missing) {
        real.add(null);
      }
    }
    return real;
  }

  private static Integer owner(Path path) {
    try {
      return (Integer) Files.getAttribute(path, "unix:uid");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return null;
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * Logs once per process when {@code fs.protected_hardlinks} is 0: then anyone who may write into a
   * root can link in a file they cannot read, and only the owner check below stands in the way.
   */
  public static void warnIfHardlinksUnprotected() {
    if (protectedHardlinks().orElse(1) == 0 && WARNED.compareAndSet(false, true)) {
      org.slf4j.LoggerFactory.getLogger(PathRule.class).warn("fs.protected_hardlinks is 0: a user who may write "
          + "into a served or import folder can hard-link files they cannot read; only links to files of another "
          + "owner than the folder's are refused (sysctl fs.protected_hardlinks=1; docs/SECURITY.md \"Paths\")");
    }
  }

  /**
   * The kernel's {@code fs.protected_hardlinks} (1: only a file's owner, or a user who may read and
   * write it, can hard-link it); empty where it cannot be read.
   */
  public static java.util.Optional<Integer> protectedHardlinks() {
    try {
      return java.util.Optional.of(Integer.parseInt(
          Files.readString(Path.of("/proc/sys/fs/protected_hardlinks")).trim()));
    } catch (IOException | NumberFormatException | SecurityException e) {
      return java.util.Optional.empty();
    }
  }
}
