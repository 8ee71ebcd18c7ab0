package io.boottorrent.dhcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
 * time and in order. A torn last line (crash during an append) is skipped on load.
 */
public final class LeaseJournal {
  static final String HEADER = "# boottorrent dhcp leases v1: ip state mac expiresAtMs";
  private static final Logger LOG = LoggerFactory.getLogger(LeaseJournal.class);

  private final Path file;

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

  /** Every record in the file, oldest first; an absent file is an empty journal. */
  public List<Lease> load() throws IOException {
    List<Lease> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < text.size(); i++) {
      String line = text.get(i);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      try {
        out.add(Lease.parseLine(line));
      } catch (IllegalArgumentException e) {
        LOG.warn("{} line {} skipped ({}): {}", file, i + 1, i == text.size() - 1 ? "torn last write" : "corrupt",
            e.getMessage());
      }
    }
    return out;
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
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (Lease lease : snapshot) {
      text.append(lease.toLine()).append('\n');
    }
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
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
