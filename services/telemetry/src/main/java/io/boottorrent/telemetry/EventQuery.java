package io.boottorrent.telemetry;

import io.boottorrent.proto.BootStage;

/**
 * A filter over events: every non-null criterion must match.
 *
 * @param machine the machine key (canonical MAC) the event is counted for; TFTP events joined by IP included
 * @param image the event's image
 * @param stage the event's stage
 * @param sinceMs the event's {@code timestamp_ms} (its receive time when it has none) at or after this
 * @param untilMs ... at or before this
 */
public record EventQuery(String machine, String image, BootStage stage, Long sinceMs, Long untilMs) {
  public static final EventQuery ALL = new EventQuery(null, null, null, null, null);

  public boolean matches(LoggedEntry e) {
    return (machine == null || machine.equals(e.machine))
        && (image == null || image.equals(e.image))
        && (stage == null || stage == e.stage)
        && (sinceMs == null || e.timestampMs >= sinceMs)
        && (untilMs == null || e.timestampMs <= untilMs);
  }
}
