package io.boottorrent.dhcp;

import io.boottorrent.core.StateFiles;
import io.boottorrent.dhcp.protocol.Ipv4;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease file {@code <dataDir>/dhcp/leases}: an append-only journal of {@link Lease} records, one
 * text line each ({@code ip state mac expiresAtMs}), the last line for an address winning. Every
 * append is forced to disk before it returns. {@link #compact} replaces the journal by a snapshot of
 * the current state: written to {@code leases.tmp}, forced, and atomically renamed over the journal,
 * so a crash leaves either the old or the new file.
 *
 * <p>All methods block (file I/O): the verticle calls them through {@code executeBlocking}, one at a
 * time and in order. A torn last line (crash during an append) is cut off on load; corrupt lines are
 * reported and the file copied aside ({@link #load}).
 */
public final class LeaseJournal {
  static final String HEADER = "# boottorrent dhcp leases v1: ip state mac expiresAtMs";
  private static final Logger LOG = LoggerFactory.getLogger(LeaseJournal.class);

  /** Longer than any line {@link Lease#toLine} writes (an address, a state, 16 bytes of MAC, a time). */
  static final int MAX_LINE = 128;

  private final Path file;
  private StateFiles.SetAside setAside;
  private List<Ipv4> unreadable = List.of();

  public LeaseJournal(Path file) {
    this.file = file;
  }

  /** {@code <dataDir>/dhcp/leases}. */
  public static LeaseJournal inDataDir(Path dataDir) {
    return new LeaseJournal(dataDir.resolve("dhcp").resolve("leases"));
  }

  public Path file() {
    return file;
  }

  /**
   * Every record in the file, oldest first; an absent file is an empty journal. A torn last line (a crash
   * during an append: a short tail without its newline) is cut off the file, so the next append starts
   * on a line of its own. Whole lines that do not read as a record (not UTF-8, not a lease) are
   * corruption, not a crash: the file is copied aside whole ({@link StateFiles#copyAside}), the journal is
   * rewritten with the lines that do read, and {@link #setAside} says so.
   */
  public List<Lease> load() throws IOException {
    setAside = null;
    unreadable = List.of();
    List<Lease> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    boolean torn = end < bytes.length && isTornTail(bytes, end);
    int linesEnd = torn ? end : bytes.length;
    StringBuilder kept = new StringBuilder(HEADER).append('\n'); // what a rewrite keeps (as compact() does)
    List<String> bad = new ArrayList<>();
    Map<Ipv4, Integer> lastGood = new HashMap<>();
    Map<Ipv4, Integer> lastBad = new LinkedHashMap<>();
    int lineNo = 0;
    for (int start = 0; start < linesEnd; ) {
      int stop = start;
      while (stop < linesEnd && bytes[stop] != '\n') {
        stop++;
      }
      lineNo++;
      String line = decode(bytes, start, stop);
      start = stop + 1;
      if (line != null && (line.isBlank() || line.startsWith("#"))) {
        continue;
      }
      try {
        if (line == null) {
          throw new IllegalArgumentException("not UTF-8 text");
        }
        Lease lease = Lease.parseLine(line);
        out.add(lease);
        lastGood.put(lease.ip(), lineNo);
        kept.append(line).append('\n');
      } catch (IllegalArgumentException e) {
        Optional<Ipv4> named = addressOf(line);
        if (named.isPresent()) {
          lastBad.put(named.get(), lineNo);
        }
        if (bad.size() < 3) {
          bad.add("line " + lineNo + ": " + e.getMessage());
        } else if (bad.size() == 3) {
          bad.add("...");
        }
      }
    }
    // An address whose last line does not read may be someone's: hold it (the verticle declines it).
    unreadable = lastBad.entrySet().stream().filter(e -> lastGood.getOrDefault(e.getKey(), 0) < e.getValue())
        .map(Map.Entry::getKey).toList();
    if (torn) {
      LOG.warn("{}: cutting off a torn last line of {} bytes (a crash during an append; its reply was never sent)",
          file, bytes.length - end);
    }
    if (!bad.isEmpty()) {
      setAside = StateFiles.copyAside("dhcp", file, "lines that are no lease record (" + String.join("; ", bad)
          + ")", "starting with the " + out.size() + " records that read; the journal is rewritten with them",
          Clock.systemUTC());
      replace(kept.toString());
    } else if (torn) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        channel.truncate(end);
        channel.force(false);
      }
    }
    return out;
  }

  /**
   * Addresses named by a corrupt line of the last {@link #load} that no later good line speaks of: their
   * last state is unknown, so they may be held by a client (the verticle holds them back for a lease time).
   */
  public List<Ipv4> unreadableAddresses() {
    return unreadable;
  }

  /** The first field of a line, if it is an address. */
  private static Optional<Ipv4> addressOf(String line) {
    if (line == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Ipv4.parse(line.trim().split(" ", 2)[0]));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The corrupt journal the last {@link #load} copied aside, if it did. */
  public Optional<StateFiles.SetAside> setAside() {
    return Optional.ofNullable(setAside);
  }

  /**
   * A tail after the last newline that an interrupted append leaves: shorter than a record can be and
   * made of what a line holds (or of the zeros a file system leaves in a block it had no time to write).
   * Anything else is kept and read as a corrupt line.
   */
  private static boolean isTornTail(byte[] bytes, int from) {
    if (bytes.length - from > MAX_LINE) {
      return false;
    }
    for (int i = from; i < bytes.length; i++) {
      byte b = bytes[i];
      if (b != 0 && (b < 0x20 || b > 0x7e)) {
        return false;
      }
    }
    return true;
  }

  private static String decode(byte[] bytes, int from, int to) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Appends and forces {@code records}. */
  public void append(Collection<Lease> records) throws IOException {
    if (records.isEmpty()) {
      return;
    }
    Files.createDirectories(file.getParent());
    StringBuilder text = new StringBuilder();
    if (!Files.exists(file) || Files.size(file) == 0) {
      text.append(HEADER).append('\n');
    }
    for (Lease lease : records) {
      text.append(lease.toLine()).append('\n');
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(false);
    }
  }

  /** Replaces the journal by {@code snapshot} (tmp file, force, atomic rename). */
  public void compact(Collection<Lease> snapshot) throws IOException {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (Lease lease : snapshot) {
      text.append(lease.toLine()).append('\n');
    }
    replace(text.toString());
  }

  private void replace(String text) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(false);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
