package io.boottorrent.swarm;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.libtorrent4j.TorrentHandle;
import org.libtorrent4j.TorrentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads of one torrent that is still downloading (see {@link SwarmSession#read}): registers what a
 * read waits for, sets the piece deadlines {@link ReadPlanner} chooses, completes the read when
 * libtorrent's piece_finished alert has come for every piece it needs, then reads the files.
 *
 * <p>Never a byte of an unverified piece: a waiter is registered before libtorrent is asked which pieces it has (so an
 * alert between the two is not lost), and the first time a piece is read from disk its bytes are
 * hashed against the torrent's SHA-1 — libtorrent may post piece_finished while the piece's last
 * block is still in its store buffer, not in the file — and re-read after a cache flush until they
 * match (or the read times out). A hash_failed piece is downloaded again; its readers keep waiting.
 */
final class StreamingReads {
  private static final Logger LOG = LoggerFactory.getLogger(SwarmSession.class);
  /** Pause between re-reads of a piece whose bytes are not yet in the file. */
  private static final long REREAD_PAUSE_MS = 20;

  /** Runs a libtorrent or disk call on a worker, never concurrently with the session's close. */
  interface Worker {
    <T> Future<T> run(Callable<T> call);
  }

  /** Counters of one streaming torrent. */
  record Stats(long reads, long onDemandPieces, long readAheadPieces, long backgroundPieces, long waitedReads,
               long totalWaitMs, long maxWaitMs, long hashFailures, long hashFailuresReadsWaitedFor,
               List<Integer> failedPieces, List<Long> recentWaitsMs, List<Long> recentWaitStartsMs,
               long backgroundHolds, long prefetchedPieces) {}

  /** A piece the reads touched first, and when (ms after the add): one entry of a boot profile. */
  record FirstRead(int piece, long atMs) {}

  /**
   * Entries of a boot profile at most: a boot's burst touches tens of pieces, a runaway guest all of
   * them; the catalog's default catalog.bootProfileMaxPieces, so a recorded profile is one it takes.
   */
  static final int MAX_PROFILE_PIECES = 1024;

  private final Vertx vertx;
  private final Worker worker;
  private final String name;
  private final TorrentHandle handle;
  private final long readTimeoutMs;
  private final int pieceLength;
  private final long totalSize;
  private final long[] fileOffsets;
  private final long[] fileSizes;
  private final Path[] files;
  private final byte[][] pieceHashes;
  private final ReadPlanner planner;
  private final ReadPlanner.Options planning;
  /** The pieces the reads touched, in the order first touched, until the background is first released. */
  private final List<FirstRead> firstReads = new ArrayList<>();
  private final BitSet touched = new BitSet();
  /** Completed with {@link #firstReads} when the background is first released (the boot's burst is over). */
  private final CompletableFuture<List<FirstRead>> profile = new CompletableFuture<>();
  /** Pieces asked for by {@link #prefetch} that have not arrived; guarded by this. */
  private final BitSet prefetching = new BitSet();
  private long prefetched;
  /** Guarded by this. */
  private final Map<Integer, List<Waiter>> waiting = new HashMap<>();
  /** Background download held back ({@link #holdBackground}); when the last read was registered. */
  private volatile boolean held;
  private long heldSince;
  /** Until when a read that misses a piece holds the background back again (nanoTime; guarded by prio). */
  private long holdUntil;
  /** Times the background was held back: at the add, and again by reads that missed pieces. */
  private long holds;
  private long lastReadNanos;
  private long holdTimer = -1;
  /** Every change of piece priorities, so that holds, releases and raised pieces reach libtorrent in order. */
  private final Object prio = new Object();
  private final BitSet onDisk = new BitSet();
  private long reads;
  private long onDemand;
  private long readAheadPieces;
  private long background;
  private long waitedReads;
  private long totalWait;
  private long maxWait;
  private long hashFailures;
  private long neededFailures;
  private final List<Integer> failedPieces = new ArrayList<>();
  private final List<Long> recentWaits = new ArrayList<>();
  /** Pieces known to have passed: piece_finished alerts, and the bitfield each read asks for. */
  private final BitSet passed = new BitSet();
  /** Whether {@link #pieceFinished} has said that every piece has passed. */
  private boolean everyPieceSeen;
  /** When each of {@link #recentWaits} was called, in ms since this torrent was added. */
  private final List<Long> recentWaitStarts = new ArrayList<>();
  private final long addedNanos = System.nanoTime();

  /** Built on a worker (reads the piece hashes through libtorrent). */
  StreamingReads(Vertx vertx, Worker worker, String name, TorrentHandle handle, TorrentInfo info, Path savePath,
      long readTimeoutMs, ReadPlanner.Options planning) {
    this.vertx = vertx;
    this.worker = worker;
    this.name = name;
    this.handle = handle;
    this.readTimeoutMs = readTimeoutMs;
    this.pieceLength = info.pieceLength();
    this.totalSize = info.totalSize();
    int n = info.numFiles();
    fileOffsets = new long[n];
    fileSizes = new long[n];
    files = new Path[n];
    for (int i = 0; i < n; i++) {
      fileOffsets[i] = info.files().fileOffset(i);
      fileSizes[i] = info.files().fileSize(i);
      files[i] = savePath.resolve(info.files().filePath(i));
    }
    pieceHashes = new byte[info.numPieces()][];
    for (int p = 0; p < pieceHashes.length; p++) {
      pieceHashes[p] = java.util.HexFormat.of().parseHex(info.hashForPiece(p).toHex());
    }
    planner = new ReadPlanner(pieceLength, info.numPieces(), totalSize, planning);
    this.planning = planning;
  }

  /**
   * Holds the background download back (every piece priority 0) until the reads pause for
   * {@code quietMs}: a boot's reads then have the link to themselves. Pieces a read needs are raised to
   * top priority with their deadlines. For {@code maxMs} a read that misses a piece holds the background
   * back again (a boot reads in bursts: firmware, boot loader, kernel, initrd, with seconds of CPU
   * between them under emulation, and a background download that resumed in such a gap would fill
   * the link the next burst waits on); after that it runs whatever the reads do. On a worker, right
   * after the add.
   */
  void holdBackground(long quietMs, long maxMs) {
    if (quietMs <= 0) {
      return;
    }
    synchronized (prio) {
      held = true;
      heldSince = System.nanoTime();
      holdUntil = heldSince + maxMs * 1_000_000;
      synchronized (this) {
        holds = 1;
      }
      handle.prioritizePieces(org.libtorrent4j.Priority.array(org.libtorrent4j.Priority.IGNORE, pieceHashes.length));
    }
    holdTimer = vertx.setPeriodic(250, id -> {
      long now = System.nanoTime();
      boolean quiet;
      synchronized (this) {
        quiet = reads > 0 && waiting.isEmpty() && now - lastReadNanos > quietMs * 1_000_000;
      }
      boolean over = now - heldSince > maxMs * 1_000_000;
      if (over) {
        vertx.cancelTimer(id);
      }
      if (held && (quiet || over)) {
        worker.run(() -> {
          releaseBackground(over ? "the hold's " + maxMs + " ms are over" : "the reads paused for " + quietMs + " ms");
          return null;
        });
      }
    });
  }

  private void releaseBackground(String why) {
    synchronized (prio) {
      if (!held) {
        return;
      }
      // every piece back to normal first: a piece_finished for the last wanted piece then never looks like the end
      handle.prioritizePieces(org.libtorrent4j.Priority.array(org.libtorrent4j.Priority.DEFAULT, pieceHashes.length));
      held = false;
    }
    List<FirstRead> recorded;
    synchronized (this) {
      recorded = List.copyOf(firstReads);
    }
    profile.complete(recorded); // the first release ends the boot's burst; later ones change nothing
    LOG.info("{}: background download resumed ({}; {} reads so far, {} bytes present)", name, why, reads,
        new org.libtorrent4j.TorrentStatus(handle.swig().status()).totalDone());
  }

  /**
   * Holds the background back again for a read that misses pieces (within the hold's time): every
   * piece priority 0 but those reads wait for. Under {@link #prio}; the caller raises its own pieces.
   */
  private void rehold(int missedPiece) {
    org.libtorrent4j.Priority[] priorities =
        org.libtorrent4j.Priority.array(org.libtorrent4j.Priority.IGNORE, pieceHashes.length);
    long count;
    synchronized (this) {
      waiting.keySet().forEach(p -> priorities[p] = org.libtorrent4j.Priority.TOP_PRIORITY);
      for (int p = 0; p < priorities.length; p++) {
        if (planner.readingAhead(p) || prefetching.get(p)) {
          priorities[p] = org.libtorrent4j.Priority.TOP_PRIORITY;
        }
      }
      count = holds++;
    }
    handle.prioritizePieces(priorities);
    held = true;
    LOG.info("{}: background download held again: a read missed piece {} ({} time(s) so far)", name, missedPiece,
        count);
  }

  Future<Buffer> read(int fileIndex, long offset, int length) {
    if (fileIndex < 0 || fileIndex >= files.length) {
      return Future.failedFuture(new IllegalArgumentException("file index " + fileIndex + " out of range: "
          + name + " has " + files.length + " file(s)"));
    }
    if (offset < 0 || length < 0 || offset + length > fileSizes[fileIndex]) {
      return Future.failedFuture(new IllegalArgumentException("read of " + length + " bytes at " + offset
          + " is outside " + files[fileIndex].getFileName() + " (" + fileSizes[fileIndex] + " bytes)"));
    }
    if (length == 0) {
      return Future.succeededFuture(Buffer.buffer());
    }
    long at = fileOffsets[fileIndex] + offset;
    long started = System.nanoTime();
    Context context = vertx.getOrCreateContext(); // the alert thread completes the wait: back to the caller's
    return worker.run(() -> register(at, length)).compose(waiter -> {
      if (waiter.missing.isEmpty()) {
        return Future.<Void>succeededFuture();
      }
      long timer = vertx.setTimer(readTimeoutMs, id -> waiter.timeOut());
      return Future.fromCompletionStage(waiter.done, context).onComplete(x -> vertx.cancelTimer(timer));
    }).compose(x -> {
      long waited = (System.nanoTime() - started) / 1_000_000;
      return worker.run(() -> bytes(at, length, started + readTimeoutMs * 1_000_000)).onSuccess(b -> waited(waited, started));
    });
  }

  /** Registers the read's waiter, sets its deadlines; on a worker. */
  private Waiter register(long at, int length) {
    Waiter waiter = new Waiter(at, length);
    int first = planner.pieceOf(at);
    int last = planner.pieceOf(at + length - 1);
    synchronized (this) {
      reads++;
      lastReadNanos = System.nanoTime();
      for (int p = first; p <= last; p++) {
        waiter.missing.add(p);
        waiting.computeIfAbsent(p, k -> new ArrayList<>()).add(waiter);
        if (!profile.isDone() && !touched.get(p) && firstReads.size() < MAX_PROFILE_PIECES) {
          touched.set(p);
          firstReads.add(new FirstRead(p, (lastReadNanos - addedNanos) / 1_000_000));
        }
      }
    }
    // After registering: a piece that passed before is in this, one that passes later is alerted. One
    // call for all pieces: havePiece is a synchronous call into libtorrent's network thread each, and
    // the read and its read-ahead window asked it up to ~35 times a read (7 ms a read under load).
    BitSet have = havePieces();
    ReadPlanner.Plan plan;
    synchronized (this) {
      passed.or(have);
      plan = planner.plan(at, length, have::get);
      for (Integer p : plan.dropped()) {
        if (!waiting.containsKey(p) && !prefetching.get(p)) {
          handle.resetPieceDeadline(p);
        }
      }
    }
    synchronized (prio) {
      if (!held && holdUntil != 0 && System.nanoTime() < holdUntil) {
        plan.deadlines().stream().filter(d -> !d.readAhead()).findFirst()
            .ifPresent(d -> rehold(d.piece())); // a read of the boot's own waits: not only its read-ahead
      }
      for (ReadPlanner.Deadline d : plan.deadlines()) {
        if (held) {
          handle.piecePriority(d.piece(), org.libtorrent4j.Priority.TOP_PRIORITY);
        }
        handle.setPieceDeadline(d.piece(), d.ms());
      }
    }
    for (int p = first; p <= last; p++) {
      if (have.get(p)) {
        arrived(p, false);
      }
    }
    return waiter;
  }

  /** The pieces libtorrent has (downloaded and hash-checked), in one call. */
  private BitSet havePieces() {
    org.libtorrent4j.PieceIndexBitfield pieces =
        new org.libtorrent4j.TorrentStatus(handle.swig().status(TorrentHandle.QUERY_PIECES)).pieces();
    BitSet have = new BitSet(pieceHashes.length);
    for (int i = 0, n = Math.min(pieceHashes.length, pieces.size()); i < n; i++) {
      if (pieces.getBit(i)) {
        have.set(i);
      }
    }
    return have;
  }

  /**
   * piece_finished (hash passed); on libtorrent's alert thread. True the first time every piece of the
   * torrent has passed (the alert router then completes {@code finished()}).
   */
  boolean pieceFinished(int piece) {
    arrived(piece, true);
    synchronized (this) {
      passed.set(piece);
      if (!everyPieceSeen && passed.cardinality() == pieceHashes.length) {
        everyPieceSeen = true;
        return true;
      }
      return false;
    }
  }

  /** Whether every piece of the torrent has passed its hash check (piece_finished, or a read's bitfield). */
  synchronized boolean hasEveryPiece() {
    return passed.cardinality() == pieceHashes.length;
  }

  /** hash_failed: libtorrent downloads the piece again; readers keep waiting, with its deadline renewed. */
  void hashFailed(int piece) {
    boolean needed;
    synchronized (this) {
      hashFailures++;
      if (failedPieces.size() < 1000) {
        failedPieces.add(piece);
      }
      needed = waiting.containsKey(piece);
      if (needed) {
        neededFailures++;
      }
    }
    if (needed) {
      LOG.info("[{}] {}: piece {} failed its hash check; a read waits for it, downloading it again", name, name,
          piece);
      worker.run(() -> {
        synchronized (prio) {
          if (held) {
            handle.piecePriority(piece, org.libtorrent4j.Priority.TOP_PRIORITY);
          }
          handle.setPieceDeadline(piece, 0);
        }
        return null;
      });
    }
  }

  private void arrived(int piece, boolean fromAlert) {
    List<Waiter> done = new ArrayList<>();
    synchronized (this) {
      List<Waiter> waiters = waiting.remove(piece);
      boolean ahead = planner.arrived(piece);
      boolean early = prefetching.get(piece);
      prefetching.clear(piece);
      if (fromAlert) {
        if (waiters != null) {
          onDemand++;
        } else if (early) {
          prefetched++;
        } else if (ahead) {
          readAheadPieces++;
        } else {
          background++;
        }
      }
      if (waiters != null) {
        for (Waiter w : waiters) {
          w.missing.remove(piece);
          if (w.missing.isEmpty()) {
            done.add(w);
          }
        }
      }
    }
    done.forEach(w -> w.done.complete(null));
  }

  /**
   * The pieces the reads touched, in the order first touched, with when (ms after the add): completed
   * when the background download is first released — the reads paused for the hold's quiet time, the
   * end of a boot's burst — or failed when the torrent goes away first. Never completes without a hold.
   */
  CompletableFuture<List<FirstRead>> profile() {
    return profile;
  }

  /**
   * Asks for {@code pieces} (a boot profile: what an earlier boot of this image read, in that order)
   * before any read does: each missing one gets a deadline after the on-demand reads' own, in order,
   * and while the background is held, top priority; a read that holds the background again keeps them.
   * Indices out of range or repeated are skipped. Returns how many were missing and asked for. On a worker.
   */
  int prefetch(List<Integer> pieces) {
    BitSet have = havePieces();
    int asked = 0;
    synchronized (prio) {
      BitSet seen = new BitSet();
      for (Integer p : pieces) {
        if (p == null || p < 0 || p >= pieceHashes.length || seen.get(p) || have.get(p)) {
          continue;
        }
        seen.set(p);
        synchronized (this) {
          if (waiting.containsKey(p)) {
            continue; // a read asked for it already, with an earlier deadline
          }
          prefetching.set(p);
        }
        if (held) {
          handle.piecePriority(p, org.libtorrent4j.Priority.TOP_PRIORITY);
        }
        // after the reads' on-demand pieces (0 ms), among their read-ahead (readAheadMs on), in profile order
        handle.setPieceDeadline(p, planning.readAheadMs() + asked * planning.stepMs());
        asked++;
      }
    }
    return asked;
  }

  private synchronized void waited(long ms, long startedNanos) {
    waitedReads++;
    totalWait += ms;
    maxWait = Math.max(maxWait, ms);
    recentWaits.add(ms);
    recentWaitStarts.add((startedNanos - addedNanos) / 1_000_000);
    if (recentWaits.size() > 1000) {
      recentWaits.remove(0);
      recentWaitStarts.remove(0);
    }
  }

  synchronized Stats stats() {
    return new Stats(reads, onDemand, readAheadPieces, background, waitedReads, totalWait, maxWait, hashFailures, neededFailures,
        List.copyOf(failedPieces), List.copyOf(recentWaits), List.copyOf(recentWaitStarts), holds, prefetched);
  }

  /** Fails every waiting read (the torrent or session is going away). */
  void failAll(Throwable why) {
    if (holdTimer >= 0) {
      vertx.cancelTimer(holdTimer);
    }
    List<Waiter> all = new ArrayList<>();
    synchronized (this) {
      waiting.values().forEach(all::addAll);
      waiting.clear();
    }
    all.forEach(w -> w.done.completeExceptionally(why));
    profile.completeExceptionally(why);
  }

  /** The bytes, every piece of them checked against its hash the first time it is read; on a worker. */
  private Buffer bytes(long at, int length, long deadlineNanos) throws IOException, InterruptedException {
    int first = planner.pieceOf(at);
    int last = planner.pieceOf(at + length - 1);
    // Every piece here was had at register() or alerted as passed since. havePiece is not asked again:
    // libtorrent posts piece_finished when the hash passes, and marks the piece had only once its last
    // block is written, so a read right after the alert saw "not had" (the bench's first streaming run
    // failed a guest read that way). Our own SHA-1 check below is what keeps unverified bytes out.
    for (int p = first; p <= last; p++) {
      verifyOnDisk(p, deadlineNanos);
    }
    return Buffer.buffer(readTorrent(at, length));
  }

  private void verifyOnDisk(int piece, long deadlineNanos) throws IOException, InterruptedException {
    synchronized (this) {
      if (onDisk.get(piece)) {
        return;
      }
    }
    long start = (long) piece * pieceLength;
    int size = (int) Math.min(pieceLength, totalSize - start);
    boolean flushed = false;
    while (true) {
      if (Arrays.equals(sha1(readTorrent(start, size)), pieceHashes[piece])) {
        synchronized (this) {
          onDisk.set(piece);
        }
        return;
      }
      if (System.nanoTime() > deadlineNanos) {
        throw new IllegalStateException("piece " + piece + " of " + name + " passed its hash check in libtorrent but "
            + "its bytes on disk still do not match");
      }
      if (!flushed) {
        handle.flushCache(); // its last blocks may still be in libtorrent's store buffer
        flushed = true;
      }
      Thread.sleep(REREAD_PAUSE_MS);
    }
  }

  /** Bytes of the torrent's byte space, across files. */
  private byte[] readTorrent(long at, int length) throws IOException {
    byte[] out = new byte[length];
    int done = 0;
    for (int i = 0; i < files.length && done < length; i++) {
      long fileEnd = fileOffsets[i] + fileSizes[i];
      long pos = at + done;
      if (pos >= fileEnd || fileSizes[i] == 0) {
        continue;
      }
      int n = (int) Math.min(length - done, fileEnd - pos);
      try (FileChannel ch = FileChannel.open(files[i], StandardOpenOption.READ)) {
        ByteBuffer buf = ByteBuffer.wrap(out, done, n);
        long filePos = pos - fileOffsets[i];
        while (buf.hasRemaining()) {
          int r = ch.read(buf, filePos + (buf.position() - done));
          if (r < 0) {
            break; // short (sparse, not yet extended) file: the rest stays zero and fails the hash
          }
        }
      } catch (NoSuchFileException e) {
        // not created yet: zeros, which fail the hash check
      }
      done += n;
    }
    return out;
  }

  private static byte[] sha1(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private final class Waiter {
    final long at;
    final int length;
    final Set<Integer> missing = new TreeSet<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Waiter(long at, int length) {
      this.at = at;
      this.length = length;
    }

    void timeOut() {
      Integer piece;
      synchronized (StreamingReads.this) {
        piece = missing.isEmpty() ? null : ((TreeSet<Integer>) missing).first();
        for (Integer p : missing) {
          List<Waiter> ws = waiting.get(p);
          if (ws != null) {
            ws.remove(this);
            if (ws.isEmpty()) {
              waiting.remove(p);
            }
          }
        }
      }
      if (piece != null) {
        done.completeExceptionally(new IllegalStateException("read of " + length + " bytes at " + at + " of " + name
            + " timed out after " + readTimeoutMs + " ms waiting for piece " + piece));
      }
    }
  }
}
