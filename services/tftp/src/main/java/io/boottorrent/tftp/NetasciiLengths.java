package io.boottorrent.tftp;

import io.boottorrent.tftp.protocol.Netascii;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The netascii length of served files: a netascii transfer must know where its stream ends (which
 * block is the last) before it sends anything, and that takes a read of the whole file. A spoofed
 * netascii RRQ — which never ACKs — would cost that read every time; here it is done at most once per
 * version of a file (real path, size, mtime, file key), on a worker thread, streaming through one
 * buffer, and concurrent requests for the same file wait for the one measurement under way.
 * Measurements run on their own {@value #MEASURING_THREADS} threads, so requests for many big files at
 * once queue there instead of taking the worker pool that resolves requests (and serves other services).
 *
 * <p>At most {@code capacity} files are remembered (least recently used dropped first): a few hundred
 * bytes each. A failed measurement is not remembered. Thread-safe: the transfer loops share it.
 */
final class NetasciiLengths {
  /**
   * Files the server remembers: {@value} × a few hundred bytes is under 1 MiB. Not a config key: a
   * TFTP root serves a handful of text files, and a file dropped from the cache costs one more read
   * of it, which is what every netascii RRQ cost before.
   */
  static final int FILES = 1024;

  /** Raw bytes read per call while measuring; the buffer is one per measurement. */
  static final int CHUNK = 64 * 1024;

  /** The file as measured: {@code rawLength} bytes on disk, {@code encodedLength} on the wire. */
  record Measured(long rawLength, long encodedLength) {}

  /** A version of a file: a rewrite in place changes the mtime, a replacement the file key. */
  private record Key(Path file, long size, long modifiedNanos, Object fileKey) {}

  /** Threads of the executor that measures: files measured at once. */
  static final int MEASURING_THREADS = 2;

  private final Vertx vertx;
  private final WorkerExecutor measurers;
  private final int capacity;
  private final Map<Key, Future<Measured>> cache;
  private final AtomicLong measurements = new AtomicLong();

  /** @throws IllegalArgumentException for a capacity below 1 */
  NetasciiLengths(Vertx vertx, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("netascii length cache must hold at least 1 file, not " + capacity);
    }
    this.vertx = vertx;
    this.measurers = vertx.createSharedWorkerExecutor("tftp-netascii-length", MEASURING_THREADS);
    this.capacity = capacity;
    this.cache = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Future<Measured>> eldest) {
        return size() > NetasciiLengths.this.capacity;
      }
    };
  }

  /**
   * The netascii length of {@code file} (a real path), measured once per version of it. Call on an
   * event loop: the result is delivered there.
   */
  Future<Measured> of(Path file) {
    Context caller = vertx.getOrCreateContext();
    return vertx.executeBlocking(() -> key(file), false).compose(key -> {
      Promise<Measured> mine = null;
      Future<Measured> known;
      synchronized (cache) {
        known = cache.get(key);
        if (known == null) {
          mine = Promise.promise();
          known = mine.future();
          cache.put(key, known);
        }
      }
      if (mine != null) {
        Promise<Measured> measuring = mine;
        Future<Measured> shared = known;
        measurers.executeBlocking(() -> measure(key), false).onComplete(ar -> {
          if (ar.failed()) {
            synchronized (cache) {
              cache.remove(key, shared);
            }
          }
          measuring.handle(ar);
        });
      }
      return on(caller, known);
    });
  }

  /** {@code shared} completes on whichever thread measured: hand its result to the caller's context. */
  private static <T> Future<T> on(Context caller, Future<T> shared) {
    Promise<T> here = Promise.promise();
    shared.onComplete(ar -> caller.runOnContext(v -> here.handle(ar)));
    return here.future();
  }

  private static Key key(Path file) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    return new Key(file, attributes.size(), attributes.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
        attributes.fileKey());
  }

  /** Blocking: reads {@code key.size()} bytes of the file through one buffer. */
  private Measured measure(Key key) throws IOException {
    measurements.incrementAndGet();
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, key.size())));
    long encoded = 0;
    long read = 0;
    try (FileChannel channel = FileChannel.open(key.file(), StandardOpenOption.READ)) {
      while (read < key.size()) {
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), key.size() - read));
        int n = channel.read(buffer, read);
        if (n < 0) {
          throw new IOException("file shrank while being measured: " + read + " of " + key.size() + " bytes");
        }
        encoded += Netascii.encodedLength(buffer.array(), 0, n);
        read += n;
      }
    }
    return new Measured(read, encoded);
  }

  /**
   * Releases the measuring threads; once no server uses the pool, a measurement under way is
   * interrupted (its RRQ fails) and queued ones are dropped (Vert.x shuts the pool down now).
   */
  Future<Void> close() {
    return measurers.close();
  }

  /** Measurements started so far (each a read of a whole file). */
  long measurements() {
    return measurements.get();
  }

  /** Files remembered (and measurements under way). */
  int size() {
    synchronized (cache) {
      return cache.size();
    }
  }
}
