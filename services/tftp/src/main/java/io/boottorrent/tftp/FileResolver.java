package io.boottorrent.tftp;

import io.boottorrent.tftp.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps a requested TFTP file name to a file under the served roots, read-only and rooted. Blocking
 * (it touches the file system): call it off the event loop.
 *
 * <p>The name is checked lexically first: a leading {@code /} (as PXE firmware commonly sends) is
 * relative to the root, never an escape; backslashes, control characters and {@code ..} segments
 * are refused with ACCESS_VIOLATION. Then the roots are tried in order, {@code root} first, then each
 * fallback root; the first that has the name wins.
 *
 * <p>Symlinks: in {@code root} (the operator's writable folder) the file's real path must stay inside
 * the root — a symlink leading out of it is an ACCESS_VIOLATION. A fallback root is a package's
 * folder (Debian's {@code /usr/lib/ipxe}), whose files may legitimately be symlinks elsewhere
 * ({@code ipxe.efi -> /boot/ipxe.efi}): there the folder holding the file must really be inside the
 * fallback root (no directory symlinks out of it), and the file itself may be a symlink to a regular
 * file anywhere.
 */
public final class FileResolver {
  private final Path root;
  private final List<Path> fallbackRoots;
  private final java.util.Map<String, Path> aliases;

  /** A file found: its real path and size. {@code fromFallback} is false if it came from root. */
  public record Resolved(Path file, long size, boolean fromFallback) {}

  public FileResolver(Path root, List<Path> fallbackRoots) {
    this(root, fallbackRoots, java.util.Map.of());
  }

  /**
   * @param aliases names served, when no root has them, from a package's file of another name
   *     (Debian's {@code shimx64.efi.signed} as {@code shimx64.efi}); the operator's files come first
   */
  public FileResolver(Path root, List<Path> fallbackRoots, java.util.Map<String, Path> aliases) {
    this.root = root.toAbsolutePath().normalize();
    this.fallbackRoots = fallbackRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    this.aliases = java.util.Map.copyOf(aliases);
  }

  /**
   * The relative path a request names, segment by segment, after the lexical checks.
   *
   * @throws Refusal ACCESS_VIOLATION for names that try to leave the root or smuggle in odd bytes,
   *     FILE_NOT_FOUND for a name that names no file (empty, only slashes)
   */
  public static List<String> segments(String filename) throws Refusal {
    for (int i = 0; i < filename.length(); i++) {
      char c = filename.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        throw new Refusal(ErrorCode.ACCESS_VIOLATION, "control character in file name");
      }
      if (c == '\\') {
        throw new Refusal(ErrorCode.ACCESS_VIOLATION, "backslash in file name");
      }
    }
    List<String> segments = new ArrayList<>();
    for (String segment : filename.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue; // leading slash, doubled slashes, "./": all relative to the root
      }
      if (segment.equals("..")) {
        throw new Refusal(ErrorCode.ACCESS_VIOLATION, "'..' in file name");
      }
      segments.add(segment);
    }
    if (segments.isEmpty()) {
      throw new Refusal(ErrorCode.FILE_NOT_FOUND, "no file name");
    }
    return segments;
  }

  /**
   * @throws Refusal FILE_NOT_FOUND if no root has the name (or it is not a regular file),
   *     ACCESS_VIOLATION if it leads out of its root or cannot be read
   */
  public Resolved resolve(String filename) throws Refusal {
    List<String> segments = segments(filename);
    List<Path> roots = new ArrayList<>();
    roots.add(root);
    roots.addAll(fallbackRoots);
    for (int i = 0; i < roots.size(); i++) {
      Path base = realOrNull(roots.get(i));
      if (base == null) {
        continue; // a missing root (e.g. /usr/lib/ipxe without the ipxe package) holds nothing
      }
      Path candidate = base;
      for (String segment : segments) {
        candidate = candidate.resolve(segment);
      }
      if (!candidate.normalize().startsWith(base)) {
        throw new Refusal(ErrorCode.ACCESS_VIOLATION, "file name leads out of the root");
      }
      if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      return check(candidate, base, i > 0);
    }
    Path alias = aliases.get(String.join("/", segments));
    if (alias != null && Files.exists(alias)) {
      return check(alias, realOrNull(alias.getParent()), true);
    }
    throw new Refusal(ErrorCode.FILE_NOT_FOUND, "file not found");
  }

  private static Resolved check(Path candidate, Path base, boolean fallback) throws Refusal {
    Path real = realOrNull(candidate);
    if (real == null) {
      throw new Refusal(ErrorCode.FILE_NOT_FOUND, "file not found (dangling symlink)");
    }
    if (fallback) {
      Path folder = realOrNull(candidate.getParent());
      if (folder == null || !folder.startsWith(base)) {
        throw new Refusal(ErrorCode.ACCESS_VIOLATION, "file's folder is outside the fallback root");
      }
    } else if (!real.startsWith(base)) {
      throw new Refusal(ErrorCode.ACCESS_VIOLATION, "symlink leads out of the root");
    }
    if (!Files.isRegularFile(real)) {
      throw new Refusal(ErrorCode.FILE_NOT_FOUND, "not a regular file");
    }
    if (!Files.isReadable(real)) {
      throw new Refusal(ErrorCode.ACCESS_VIOLATION, "file is not readable");
    }
    try {
      return new Resolved(real, Files.size(real), fallback);
    } catch (IOException e) {
      throw new Refusal(ErrorCode.ACCESS_VIOLATION, "cannot read file: " + e.getMessage());
    }
  }

  private static Path realOrNull(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException missingOrUnreadable) {
      return null;
    }
  }

  public Path root() {
    return root;
  }

  public List<Path> fallbackRoots() {
    return fallbackRoots;
  }
}
