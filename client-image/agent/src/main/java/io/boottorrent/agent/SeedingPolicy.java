package io.boottorrent.agent;

import io.boottorrent.proto.TorrentStatus;
import java.util.Optional;

/**
 * When a machine that has verified its image may stop seeding and launch it (kexec ends the agent,
 * so machines still downloading lose this peer). Pure; {@link AgentVerticle} asks once a second.
 *
 * <ul>
 *   <li>{@code seedSeconds}: the most it seeds; 0 launches at once.</li>
 *   <li>{@code untilAllSeeds}: stop early, after {@link #MIN_MILLIS}, once every connected peer is a
 *       seed and the tracker knows of no machine still downloading (one that announced but has not
 *       connected yet still keeps us seeding).</li>
 *   <li>{@code untilSwarmSeeds}: stop early once the tracker counts at least this many seeds in the
 *       swarm (this machine and the seeders included); 0: off.</li>
 * </ul>
 */
public record SeedingPolicy(int seedSeconds, boolean untilAllSeeds, int untilSwarmSeeds) {
  /** Seed at least this long when stopping early: peers that just got our address connect meanwhile. */
  public static final long MIN_MILLIS = 2000;

  public SeedingPolicy {
    if (seedSeconds < 0 || untilSwarmSeeds < 0) {
      throw new IllegalArgumentException("agent.seedSeconds and agent.seedUntilSwarmSeeds must be >= 0");
    }
  }

  /** What to do after {@code elapsedMillis} of seeding, given the torrent's current status. */
  public Decision decide(TorrentStatus status, long elapsedMillis) {
    if (elapsedMillis >= seedSeconds * 1000L) {
      return new Decision(Optional.of("seeded for " + seedSeconds + " s"), false);
    }
    if (elapsedMillis < MIN_MILLIS) {
      return new Decision(Optional.empty(), false);
    }
    if (untilSwarmSeeds > 0 && status.getSwarmSeeds() >= untilSwarmSeeds) {
      return new Decision(Optional.of("the tracker counts " + status.getSwarmSeeds() + " seeds (enough: "
          + untilSwarmSeeds + ")"), false);
    }
    if (untilAllSeeds && status.getPeers() == status.getSeeds()) {
      if (status.getSwarmLeechers() <= 0) {
        return new Decision(Optional.of("every connected peer is a seed"
            + (status.getSwarmLeechers() == 0 ? " and the tracker knows no one still downloading" : "")), false);
      }
      // The tracker's count may be stale (it comes with our last announce): ask again.
      return new Decision(Optional.empty(), true);
    }
    return new Decision(Optional.empty(), false);
  }

  /** {@code stop}: the reason to stop seeding now, if any; {@code reannounce}: refresh the tracker's counts. */
  public record Decision(Optional<String> stop, boolean reannounce) {}
}
