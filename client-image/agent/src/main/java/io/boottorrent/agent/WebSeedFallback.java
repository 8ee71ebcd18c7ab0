package io.boottorrent.agent;

import io.boottorrent.proto.TorrentStatus;
import java.util.Optional;

/**
 * When the agent adds the catalog's HTTP web seed: only once the swarm has delivered less than
 * {@code minRate} bytes/s for {@code fallbackSeconds} in a row. The server's link is the bottleneck
 * peer-to-peer delivery avoids, so HTTP is the last resort, not the first. Pure; {@link Watch} is fed
 * one status per progress tick.
 *
 * @param fallbackSeconds 0: no holding back, the torrent's web seeds are used from the start
 * @param minRate bytes/s below which the swarm counts as stalled
 */
public record WebSeedFallback(int fallbackSeconds, long minRate) {
  public WebSeedFallback {
    if (fallbackSeconds < 0 || minRate < 0) {
      throw new IllegalArgumentException("agent.webSeedFallbackSeconds and agent.webSeedMinRate must be >= 0");
    }
  }

  /** Whether the web seeds are held back when the torrent is added (and added later by a {@link Watch}). */
  public boolean holdsBack() {
    return fallbackSeconds > 0;
  }

  /** A watch over one download that started at {@code startMs}; {@code webSeeds}: the image has any. */
  public Watch watch(boolean webSeeds, long startMs) {
    return new Watch(holdsBack() && webSeeds, startMs);
  }

  /** The state of one download: when the swarm last delivered enough, and whether the web seed is still to come. */
  public final class Watch {
    private boolean pending;
    private long lastGoodMs;

    private Watch(boolean pending, long startMs) {
      this.pending = pending;
      this.lastGoodMs = startMs;
    }

    /** Whether the web seed is still held back. */
    public boolean pending() {
      return pending;
    }

    /**
     * Takes one status; returns why to add the web seed now, once (afterwards always empty). A
     * finished download or one at {@code minRate} or more resets the stall clock.
     */
    public Optional<String> observe(TorrentStatus status, long nowMs) {
      if (status.getDownloadRate() >= minRate || status.getProgress() >= 1.0) {
        lastGoodMs = nowMs;
      }
      if (pending && nowMs - lastGoodMs > fallbackSeconds * 1000L) {
        pending = false;
        return Optional.of("swarm below " + minRate + " B/s for " + fallbackSeconds + " s");
      }
      return Optional.empty();
    }
  }
}
