package io.boottorrent.catalog;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far one {@code image add} has got, written by the import worker ({@link ImageStore#add}) and read
 * by {@code GET /api/v1/imports}, the progress log and the CLI: queued (waiting for an import worker),
 * copying (bytes copied and hashed of the sources' total), building the torrent (libtorrent hashes the
 * pieces), committing.
 */
public final class ImportProgress {
  public enum Phase { QUEUED, COPYING, BUILDING_TORRENT, COMMITTING }

  private final String name;
  private final long startedMs;
  private final AtomicLong copied = new AtomicLong();
  private volatile long total;
  private volatile Phase phase = Phase.QUEUED;

  public ImportProgress(String name, long startedMs) {
    this.name = name;
    this.startedMs = startedMs;
  }

  public String name() {
    return name;
  }

  public Phase phase() {
    return phase;
  }

  public long copiedBytes() {
    return copied.get();
  }

  public long totalBytes() {
    return total;
  }

  void copying(long totalBytes) {
    total = totalBytes;
    phase = Phase.COPYING;
  }

  void copied(long bytes) {
    copied.addAndGet(bytes);
  }

  void phase(Phase next) {
    phase = next;
  }

  /** {@code {"name", "phase", "bytesCopied", "bytesTotal", "percent", "startedAtMs", "elapsedMs"}}. */
  public JsonObject toJson(long nowMs) {
    long t = total;
    long c = copied.get();
    return new JsonObject().put("name", name).put("phase", phase.name().toLowerCase(java.util.Locale.ROOT))
        .put("bytesCopied", c).put("bytesTotal", t).put("percent", t == 0 ? 0 : Math.min(100, c * 100 / t))
        .put("startedAtMs", startedMs).put("elapsedMs", nowMs - startedMs);
  }

  /** One line for the log and the CLI: {@code copying 45% (460 of 1024 MiB) after 12 s}. */
  public String describe(long nowMs) {
    long t = total;
    String p = phase.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    return phase == Phase.COPYING
        ? String.format("%s %d%% (%d of %d MiB) after %d s", p, t == 0 ? 0 : copied.get() * 100 / t,
            copied.get() >> 20, t >> 20, (nowMs - startedMs) / 1000)
        : String.format("%s after %d s", p, (nowMs - startedMs) / 1000);
  }
}
