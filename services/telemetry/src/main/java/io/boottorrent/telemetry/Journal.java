package io.boottorrent.telemetry;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.boottorrent.core.DirectoryLock;
import io.boottorrent.core.StateFiles;
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
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry journal, {@code <dataDir>/telemetry/journal}: length-delimited {@link TelemetryRecord}s
 * (a varint length, then the record), appended in batches (group commit: one write, and with
 * {@code sync} one fdatasync, per batch). Opening replays it; a torn tail (a crash in the middle of a
 * write) is cut off with a warning, a corrupt record is skipped and the file copied aside first
 * ({@link #replay}). {@link #compact} replaces it,
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
  private StateFiles.SetAside setAside;

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
      Scan scan = replay(dir.resolve(FILE), replay);
      Journal journal = new Journal(dir, sync, lock, scan.replayed());
      journal.setAside = scan.setAside();
      return journal;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Replays {@code file}. Records whose length fits but whose bytes do not read (a zero-length record,
   * garbage, another type) are skipped and reading goes on after them; a length that cannot be (past
   * the end, beyond {@link #MAX_RECORD_BYTES}) ends the reading. What is left after the last good record
   * is the tail. A crash mid-append leaves a tail of zeros, or one record whose length runs past the
   * end: that is cut off with a warning, as before. Anything else (skipped records between good ones, a
   * garbage tail) is corruption: the file is copied aside whole, the journal rewritten with the good
   * records only, and the copy reported ({@link #setAside}).
   */
  private static Scan replay(Path file, Consumer<TelemetryRecord> replay) throws IOException {
    if (!Files.exists(file)) {
      return new Scan(new Replayed(0, 0, 0), null);
    }
    long fileSize = Files.size(file);
    long pos = 0;
    long records = 0;
    long lastGoodEnd = 0;
    long cut = -1;
    boolean cutIsTorn = false;
    String problem = null;
    List<long[]> skipped = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      while (true) {
        coded.resetSizeCounter();
        if (coded.isAtEnd()) {
          break;
        }
        long start = pos;
        int length;
        try {
          length = coded.readRawVarint32();
        } catch (InvalidProtocolBufferException e) {
          cut = start;
          cutIsTorn = fileSize - start < 5; // a length cut short by the end of the file
          problem = problem != null ? problem : "an unreadable record length at byte " + start;
          break;
        }
        long header = coded.getTotalBytesRead();
        if (length < 0 || length > MAX_RECORD_BYTES || start + header + length > fileSize) {
          cut = start;
          cutIsTorn = length >= 0 && length <= MAX_RECORD_BYTES;
          problem = problem != null ? problem : "a record length of " + Integer.toUnsignedString(length)
              + " bytes at byte " + start;
          break;
        }
        byte[] body = coded.readRawBytes(length);
        pos = start + header + length;
        String why = null;
        TelemetryRecord record = null;
        if (length == 0) {
          why = "a zero-length record";
        } else {
          try {
            record = TelemetryRecord.parseFrom(body);
            if (record.getKindCase() == TelemetryRecord.KindCase.KIND_NOT_SET) {
              why = "a record without content";
            }
          } catch (InvalidProtocolBufferException e) {
            why = "an unreadable record (" + e.getMessage() + ")";
          }
        }
        if (why != null) {
          addRange(skipped, start, pos);
          problem = problem != null ? problem : why + " at byte " + start;
          continue;
        }
        replay.accept(record);
        records++;
        lastGoodEnd = pos;
      }
    }
    // Skipped records after the last good one belong to the tail.
    long tailFrom = cut >= 0 ? cut : fileSize;
    List<long[]> middle = new ArrayList<>();
    for (long[] r : skipped) {
      if (r[0] >= lastGoodEnd) {
        tailFrom = Math.min(tailFrom, r[0]);
        cutIsTorn = false;
      } else {
        middle.add(r);
      }
    }
    long tail = fileSize - tailFrom;
    boolean tornTail = tail > 0 && (allZeros(file, tailFrom, fileSize) || (cutIsTorn && cut == tailFrom && records > 0));
    long middleBytes = middle.stream().mapToLong(r -> r[1] - r[0]).sum();
    long good = tailFrom - middleBytes;
    StateFiles.SetAside setAside = null;
    if (!middle.isEmpty() || (tail > 0 && !tornTail)) {
      setAside = StateFiles.copyAside("telemetry", file, problem + " (" + middle.size() + " bad record(s) between good"
          + " ones, " + middleBytes + " bytes; " + (tail > 0 && !tornTail ? tail + " bytes of garbage after the last"
          + " good record" : "no garbage at the end") + ")", "keeping the " + records + " records that read",
          Clock.systemUTC());
      rewrite(file, tailFrom, middle);
    } else if (tail > 0) {
      LOG.warn("telemetry journal {}: {}; cutting off the last {} bytes (a write the process did not finish) and"
          + " keeping the {} records before", file, problem != null ? problem : "zeros after the last record", tail,
          records);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(tailFrom);
        ch.force(true);
      }
    }
    return new Scan(new Replayed(records, good, fileSize - good), setAside);
  }

  private record Scan(Replayed replayed, StateFiles.SetAside setAside) {}

  private static void addRange(List<long[]> ranges, long from, long to) {
    if (!ranges.isEmpty() && ranges.get(ranges.size() - 1)[1] == from) {
      ranges.get(ranges.size() - 1)[1] = to; // one range for a run of bad records (a page of zeros)
    } else {
      ranges.add(new long[] {from, to});
    }
  }

  private static boolean allZeros(Path file, long from, long to) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      long at = from;
      while (at < to) {
        buffer.clear().limit((int) Math.min(buffer.capacity(), to - at));
        int n = ch.read(buffer, at);
        if (n < 0) {
          return true;
        }
        for (int i = 0; i < n; i++) {
          if (buffer.get(i) != 0) {
            return false;
          }
        }
        at += n;
      }
      return true;
    }
  }

  /** Replaces {@code file} by its bytes before {@code end} without the {@code skipped} ranges (tmp, sync, rename). */
  private static void rewrite(Path file, long end, List<long[]> skipped) throws IOException {
    Path tmp = file.resolveSibling(COMPACTING);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      long at = 0;
      for (long[] r : skipped) {
        copyRange(in, at, r[0], out);
        at = r[1];
      }
      copyRange(in, at, end, out);
      out.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(file.getParent());
  }

  private static void copyRange(FileChannel in, long from, long to, FileChannel out) throws IOException {
    for (long at = from; at < to; ) {
      at += in.transferTo(at, to - at, out);
    }
  }

  /** The corrupt journal that opening copied aside (the journal itself keeps its good records), if any. */
  public Optional<StateFiles.SetAside> setAside() {
    return Optional.ofNullable(setAside);
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
