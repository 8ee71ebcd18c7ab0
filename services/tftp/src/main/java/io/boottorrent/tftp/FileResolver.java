package io.boottorrent.tftp;

import io.boottorrent.core.PathRule;
import io.boottorrent.tftp.protocol.ErrorCode;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Maps a requested TFTP file name to a file under the served roots, read-only, by the one
 * {@link PathRule} every file-serving path follows (docs/SECURITY.md, "Paths"). Blocking (it touches
 * the file system): call it off the event loop.
 *
 * <p>The roots are {@code root} first, then each fallback root (Debian's {@code /usr/lib/ipxe}, and
 * the files its symlinks point to, {@code /boot/ipxe.efi}); then the aliases (the Secure Boot chain).
 * A leading {@code /} (as PXE firmware commonly sends) is relative to the root. A malformed name or one
 * leading out of the roots is an ACCESS_VIOLATION, a name no root has (or that is no regular file) is
 * FILE_NOT_FOUND. The TFTP name is taken as it comes: nothing is percent-decoded.
 */
public final class FileResolver {
  private final Path root;
  private final List<Path> fallbackRoots;
  private final Map<String, Path> aliases;
  private final PathRule rule;

  /** A file found: its real path and size. {@code fromFallback} is false if it came from root. */
  public record Resolved(Path file, long size, boolean fromFallback) {}

  public FileResolver(Path root, List<Path> fallbackRoots) {
    this(root, fallbackRoots, Map.of());
  }

  /**
   * @param aliases names served, when no root has them, from a package's file of another name
   *     (Debian's {@code shimx64.efi.signed} as {@code shimx64.efi}); the operator's files come first.
   *     Each alias's folder is a link target: a symlink in the roots may lead into it.
   */
  public FileResolver(Path root, List<Path> fallbackRoots, Map<String, Path> aliases) {
    this.root = root.toAbsolutePath().normalize();
    this.fallbackRoots = fallbackRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    this.aliases = Map.copyOf(aliases);
    List<Path> roots = new ArrayList<>();
    roots.add(this.root);
    roots.addAll(this.fallbackRoots);
    // the aliases' folders: where a link may lead and an alias may lie, but no name is looked up there
    List<Path> aliasFolders = this.aliases.values().stream()
        .map(p -> p.toAbsolutePath().normalize().getParent()).filter(p -> p != null).distinct().toList();
    this.rule = new PathRule(roots, aliasFolders);
  }

  /**
   * The relative path a request names, segment by segment, after the lexical checks of {@link PathRule}.
   *
   * @throws Refusal ACCESS_VIOLATION for a malformed name, FILE_NOT_FOUND for one that names no file
   */
  public static List<String> segments(String filename) throws Refusal {
    try {
      return PathRule.segments(filename);
    } catch (PathRule.Refused e) {
      throw refusal(e);
    }
  }

  /**
   * @throws Refusal FILE_NOT_FOUND if no root has the name (or it is not a regular file),
   *     ACCESS_VIOLATION if the name is malformed, leads out of the roots or cannot be read
   */
  public Resolved resolve(String filename) throws Refusal {
    List<String> segments = segments(filename);
    try {
      PathRule.Found found = rule.find(segments);
      return new Resolved(found.file(), found.size(), found.root() > 0);
    } catch (PathRule.Refused e) {
      Path alias = aliases.get(String.join("/", segments));
      if (e.verdict() != PathRule.Verdict.NOT_FOUND || alias == null
          || !Files.exists(alias, LinkOption.NOFOLLOW_LINKS)) {
        throw refusal(e);
      }
    }
    try {
      PathRule.Found found = rule.check(aliases.get(String.join("/", segments)));
      return new Resolved(found.file(), found.size(), true);
    } catch (PathRule.Refused e) {
      throw refusal(e);
    }
  }

  /** The rule's verdict as RFC 1350 error codes: only a missing file is FILE_NOT_FOUND. */
  static Refusal refusal(PathRule.Refused e) {
    ErrorCode code = e.verdict() == PathRule.Verdict.NOT_FOUND ? ErrorCode.FILE_NOT_FOUND : ErrorCode.ACCESS_VIOLATION;
    return new Refusal(code, e.getMessage());
  }

  public Path root() {
    return root;
  }

  public List<Path> fallbackRoots() {
    return fallbackRoots;
  }
}
