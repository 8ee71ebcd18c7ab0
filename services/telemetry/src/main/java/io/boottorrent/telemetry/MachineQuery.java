package io.boottorrent.telemetry;

import io.boottorrent.proto.BootPhase;
import io.boottorrent.proto.BootStage;

/**
 * A filter over machines: every non-null criterion must match.
 *
 * @param machine the machine key (canonical MAC)
 * @param image the current boot's image
 * @param stage the current boot's stage
 * @param phase the current boot's phase
 * @param stalled whether it is stalled
 * @param sinceMs last seen at or after this
 * @param untilMs last seen at or before this
 */
public record MachineQuery(String machine, String image, BootStage stage, BootPhase phase, Boolean stalled,
    Long sinceMs, Long untilMs) {
  public static final MachineQuery ALL = new MachineQuery(null, null, null, null, null, null, null);

  boolean matches(Machine m, long now, long stallMs) {
    return (machine == null || machine.equals(m.key))
        && (image == null || image.equals(m.image))
        && (stage == null || stage == m.stage)
        && (phase == null || phase == m.phase())
        && (stalled == null || stalled == m.stalled(now, stallMs))
        && (sinceMs == null || m.lastSeenMs >= sinceMs)
        && (untilMs == null || m.lastSeenMs <= untilMs);
  }
}
