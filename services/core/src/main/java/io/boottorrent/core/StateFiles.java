package io.boottorrent.core;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a service does with a corrupt state file it finds at start (policy, manifest, token store, lease
 * or telemetry journal; docs/SECURITY.md "Corrupt state files"): the file is never deleted, it is set
 * aside as {@code <name>.corrupt-<UTC timestamp>} beside itself, with one ERROR line naming the file,
 * what was wrong and where it went, and the service starts with what it can still trust. A journal
 * keeps its readable records: {@link #copyAside} leaves a copy of the whole file and the caller then
 * rewrites the journal without the bad records.
 *
 * <p>The files set aside are reported ({@link #report}) in the Vert.x instance's local shared data,
 * where the health server reads them ({@code /health} and {@code /readiness} detail, a metric). The
 * stores themselves know no Vert.x: they return {@link SetAside} records and their verticle reports them.
 *
 * <p>Blocking (a rename, a copy): call from a worker.
 */
public final class StateFiles {
  private static final Logger LOG = LoggerFactory.getLogger(StateFiles.class);
  /** What a set-aside name has after the original name; the timestamp's T and Z keep it off image names. */
  public static final String CORRUPT_INFIX = ".corrupt-";
  static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  /** The Vert.x local map that holds the process's {@link Reports}. */
  public static final String SHARED_MAP = "boottorrent.stateFiles";
  private static final String KEY = "reports";

  /**
   * A corrupt state file that was set aside (or, for {@link #refuse}, left where it is).
   *
   * @param file where it was
   * @param movedTo where it is now (a copy, for a journal that kept its readable records); for a file
   *     left in place, the file itself
   * @param problem what was wrong, for a person
   */
  public record SetAside(String service, Path file, Path movedTo, String problem) {
    public String describe() {
      return file.equals(movedTo) ? file + ": " + problem + " (left in place)"
          : file + ": " + problem + "; set aside as " + movedTo;
    }
  }

  /**
   * A service cannot start because of a state file it must not start without (the catalog's signing
   * keys). {@code boottorrent serve} leaves that one service down, reports it, and runs the others.
   */
  public static final class CorruptStateException extends IOException {
    private final transient SetAside file;

    public CorruptStateException(SetAside file) {
      super(file.describe());
      this.file = file;
    }

    public SetAside file() {
      return file;
    }
  }

  private StateFiles() {}

  /** {@code <file>.corrupt-<UTC timestamp>} (with -2, -3… if that exists already). */
  public static Path asideName(Path file, Clock clock) {
    String base = file.getFileName() + CORRUPT_INFIX + STAMP.format(clock.instant());
    Path candidate = file.resolveSibling(base);
    for (int i = 2; Files.exists(candidate, LinkOption.NOFOLLOW_LINKS); i++) {
      candidate = file.resolveSibling(base + "-" + i);
    }
    return candidate;
  }

  /** Whether {@code name} is one {@link #asideName} made. */
  public static boolean isAside(Path file) {
    return file.getFileName() != null && file.getFileName().toString().contains(CORRUPT_INFIX);
  }

  /**
   * Renames {@code file} (a file or a folder) to {@link #asideName} and logs it at ERROR.
   *
   * @throws IOException when it cannot be renamed: the caller must then not start over it
   */
  public static SetAside setAside(String service, Path file, String problem, Clock clock) throws IOException {
    Path target = asideName(file, clock);
    try {
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("cannot set corrupt " + file + " aside: " + target + " appeared meanwhile", e);
    }
    syncDirectory(file.getParent());
    SetAside aside = new SetAside(service, file, target, problem);
    LOG.error("{}: corrupt state file {}: {}; moved to {} (kept for inspection; the service goes on without it)",
        service, file, problem, target);
    return aside;
  }

  /**
   * Copies {@code file} whole to {@link #asideName} (synced) and logs it at ERROR: a journal that goes on
   * with its readable records, which the caller writes next.
   */
  public static SetAside copyAside(String service, Path file, String problem, String keeping, Clock clock)
      throws IOException {
    Path target = asideName(file, clock);
    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    syncDirectory(file.getParent());
    SetAside aside = new SetAside(service, file, target, problem);
    LOG.error("{}: corrupt state file {}: {}; a copy of it as found is {}; {}", service, file, problem, target,
        keeping);
    return aside;
  }

  /** Logs at ERROR that {@code file} is corrupt and stays where it is, and returns the exception to fail with. */
  public static CorruptStateException refuse(String service, Path file, String problem, String why) {
    SetAside kept = new SetAside(service, file, file, problem + "; " + why);
    LOG.error("{}: corrupt state file {}: {}; {}; left in place, the service does not start", service, file,
        problem, why);
    return new CorruptStateException(kept);
  }

  /**
   * Where {@code message} (at any depth) holds fields its type does not define, described; empty if
   * nowhere. Every state file is written by this program from its own types, so unknown fields mean
   * bytes of another type (a valid protobuf message of the wrong kind parses, with its fields unknown).
   */
  public static java.util.Optional<String> unknownFields(com.google.protobuf.Message message) {
    return unknownFields(message, message.getDescriptorForType().getName());
  }

  private static java.util.Optional<String> unknownFields(com.google.protobuf.Message message, String path) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      return java.util.Optional.of("not a " + message.getDescriptorForType().getName() + ": " + path
          + " has fields " + message.getUnknownFields().asMap().keySet() + " that type does not have");
    }
    for (var field : message.getAllFields().entrySet()) {
      if (field.getKey().getJavaType() != com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      List<?> values = field.getKey().isRepeated() ? (List<?>) field.getValue() : List.of(field.getValue());
      for (Object v : values) {
        if (v instanceof com.google.protobuf.Message m) {
          var found = unknownFields(m, path + "." + field.getKey().getName());
          if (found.isPresent()) {
            return found;
          }
        }
      }
    }
    return java.util.Optional.empty();
  }

  /** Makes the set-aside reports of {@code files} visible to the process's health server. */
  public static void report(Vertx vertx, List<SetAside> files) {
    if (!files.isEmpty()) {
      reports(vertx).files.addAll(files);
    }
  }

  /** The process's reports (created on first use). */
  public static Reports reports(Vertx vertx) {
    return (Reports) vertx.sharedData().getLocalMap(SHARED_MAP).computeIfAbsent(KEY, k -> new Reports());
  }

  /** Every file set aside in this Vert.x instance since it started. Thread-safe. */
  public static final class Reports implements Shareable {
    private final List<SetAside> files = new CopyOnWriteArrayList<>();

    public List<SetAside> files() {
      return List.copyOf(files);
    }
  }

  private static void syncDirectory(Path dir) {
    if (dir == null) {
      return;
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("cannot sync directory {}: {}", dir, e.toString());
    }
  }
}
