package io.boottorrent.telemetry;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.boottorrent.core.DirectoryLock;
import io.boottorrent.proto.TelemetryRecord;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry journal, {@code <dataDir>/telemetry/journal}: length-delimited {@link TelemetryRecord}s
 * (a varint length, then the record), appended in batches (group commit: one write, and with
 * {@code sync} one fdatasync, per batch). Opening replays it; a tail that does not read as whole
 * records (a crash in the middle of a write) is cut off with a warning. {@link #compact} replaces it,
 * atomically (a temporary file renamed over it), with a snapshot of the model.
 *
 * <p>Blocking, not thread-safe: one worker thread at a time (the verticle's ordered worker) uses it.
 * {@code <dataDir>/telemetry/lock} is held while it is open: one process per data dir.
 */
public final class Journal implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
  static final String FILE = "journal";
  static final String COMPACTING = "journal.compacting";
  /** A record longer than this is taken for garbage (a snapshot's largest record is one storm). */
  static final int MAX_RECORD_BYTES = 64 << 20;

  /** What opening found. */
  public record Replayed(long records, long bytes, long truncatedBytes) {}

  private final Path dir;
  private final boolean sync;
  private final DirectoryLock lock;
  private final Replayed replayed;
  private FileChannel channel;
  private volatile long size;
  private volatile long sizeAfterCompaction;

  private Journal(Path dir, boolean sync, DirectoryLock lock, Replayed replayed) throws IOException {
    this.dir = dir;
    this.sync = sync;
    this.lock = lock;
    this.replayed = replayed;
    this.channel = openForAppend(dir.resolve(FILE));
    this.size = channel.size();
    this.sizeAfterCompaction = size;
  }

  /**
   * Opens (creating) the journal in {@code dir}, handing every record in it to {@code replay}, in order.
   *
   * @throws IOException when the folder cannot be written or another process has it open
   */
  public static Journal open(Path dir, boolean sync, Consumer<TelemetryRecord> replay) throws IOException {
    Files.createDirectories(dir);
    DirectoryLock lock = DirectoryLock.acquire(dir.resolve("lock"),
        dir + " is in use by another telemetry service (its lock file is held)");
    try {
      Files.deleteIfExists(dir.resolve(COMPACTING)); // a compaction that did not finish: the journal is whole
      Replayed replayed = replay(dir.resolve(FILE), replay);
      return new Journal(dir, sync, lock, replayed);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static Replayed replay(Path file, Consumer<TelemetryRecord> replay) throws IOException {
    if (!Files.exists(file)) {
      return new Replayed(0, 0, 0);
    }
    long fileSize = Files.size(file);
    long good = 0;
    long records = 0;
    String problem = null;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      while (true) {
        coded.resetSizeCounter();
        if (coded.isAtEnd()) {
          break;
        }
        TelemetryRecord record;
        try {
          int length = coded.readRawVarint32();
          if (length <= 0 || length > MAX_RECORD_BYTES) {
            problem = "a record length of " + length + " bytes";
            break;
          }
          record = TelemetryRecord.parseFrom(coded.readRawBytes(length));
        } catch (InvalidProtocolBufferException e) {
          problem = e.getMessage();
          break;
        }
        if (record.getKindCase() == TelemetryRecord.KindCase.KIND_NOT_SET) {
          problem = "a record without content";
          break;
        }
        replay.accept(record);
        records++;
        good += coded.getTotalBytesRead();
      }
    }
    if (problem != null) {
      LOG.warn("telemetry journal {}: {} at byte {}; cutting off the last {} bytes (a write the process did not"
          + " finish) and keeping the {} records before", file, problem, good, fileSize - good, records);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(good);
        ch.force(true);
      }
    }
    return new Replayed(records, good, fileSize - good);
  }

  public Replayed replayed() {
    return replayed;
  }

  /** Bytes in the journal now. */
  public long size() {
    return size;
  }

  /** Bytes the journal had right after it was opened or last compacted. */
  public long sizeAfterCompaction() {
    return sizeAfterCompaction;
  }

  /** Appends {@code batch} in one write (and, with sync, one fdatasync). */
  public void append(List<TelemetryRecord> batch) throws IOException {
    if (batch.isEmpty()) {
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(batch.size() * 128);
    for (TelemetryRecord r : batch) {
      r.writeDelimitedTo(out);
    }
    writeFully(channel, ByteBuffer.wrap(out.toByteArray()));
    if (sync) {
      channel.force(false);
    }
    size = channel.size();
  }

  /** Replaces the journal with {@code snapshot}: written to a temporary file, synced, renamed over it. */
  public void compact(List<TelemetryRecord> snapshot) throws IOException {
    Path tmp = dir.resolve(COMPACTING);
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteArrayOutputStream chunk = new ByteArrayOutputStream(1 << 20);
      for (TelemetryRecord r : snapshot) {
        r.writeDelimitedTo(chunk);
        if (chunk.size() >= 1 << 20) {
          writeFully(out, ByteBuffer.wrap(chunk.toByteArray()));
          chunk.reset();
        }
      }
      writeFully(out, ByteBuffer.wrap(chunk.toByteArray()));
      out.force(true);
    }
    long before = size;
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(dir);
    FileChannel old = channel;
    channel = openForAppend(dir.resolve(FILE));
    old.close();
    size = channel.size();
    sizeAfterCompaction = size;
    LOG.info("telemetry journal compacted: {} -> {} bytes ({} records)", before, size, snapshot.size());
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      lock.close();
    }
  }

  private static FileChannel openForAppend(Path file) throws IOException {
    return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      ch.write(buffer);
    }
  }

  /** The rename is durable only once the folder's entry is on disk (Linux: fsync the directory). */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      LOG.debug("cannot sync directory {}: {}", dir, e.toString());
    }
  }
}
