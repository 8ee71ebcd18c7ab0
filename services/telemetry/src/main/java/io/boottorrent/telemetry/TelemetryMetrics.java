package io.boottorrent.telemetry;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootPhase;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.MachineView;
import io.boottorrent.proto.PhaseView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the agents did, as meters (docs/METRICS.md): the agents have no metrics endpoint of their own
 * (the client image carries no Micrometer), so telemetry derives them from their boot events. Fed on
 * the verticle's event loop after the model took the event in.
 */
final class TelemetryMetrics {
  private final Map<BootStage, Counter> events = new EnumMap<>(BootStage.class);
  private final Map<BootPhase, Timer> phases = new EnumMap<>(BootPhase.class);
  private final Counter launched;
  private final Counter failed;
  private final Counter fromSeeder;
  private final Counter fromPeers;
  private final Counter fromWebSeed;
  private final Counter uploaded;

  TelemetryMetrics(MeterRegistry registry, TelemetryModel model) {
    for (BootStage stage : BootStage.values()) {
      if (stage != BootStage.UNRECOGNIZED && stage != BootStage.BOOT_STAGE_UNSPECIFIED) {
        events.put(stage, Counter.builder("boottorrent.boot.events").description("Boot events received, by stage")
            .tag("stage", stage.name().toLowerCase(Locale.ROOT)).register(registry));
      }
    }
    for (BootPhase phase : BootPhase.values()) {
      if (phase != BootPhase.UNRECOGNIZED && phase != BootPhase.BOOT_PHASE_UNSPECIFIED) {
        phases.put(phase, Timer.builder("boottorrent.boot.phase.duration")
            .description("Time a boot spent in each phase, recorded when the boot launched or failed")
            .tag("phase", phaseName(phase)).publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(30))
            .register(registry));
      }
    }
    launched = boots(registry, "launched");
    failed = boots(registry, "failed");
    fromSeeder = downloaded(registry, "seeder");
    fromPeers = downloaded(registry, "peers");
    fromWebSeed = downloaded(registry, "web_seed");
    uploaded = Counter.builder("boottorrent.agent.uploaded").baseUnit("bytes")
        .description("Payload the agents served to other machines (SEEDING_DONE)").register(registry);
    Gauge.builder("boottorrent.telemetry.machines", model, TelemetryModel::machineCount)
        .description("Machines telemetry keeps").register(registry);
    Gauge.builder("boottorrent.telemetry.event.memory", model, TelemetryModel::heldEventBytes).baseUnit("bytes")
        .description("Heap the events kept take, as telemetry.eventMemoryBytes counts it").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("boottorrent.telemetry.events.evicted", model,
        TelemetryModel::eventsEvictedForBytes)
        .description("Events dropped to stay within telemetry.eventMemoryBytes").register(registry);
  }

  private static Counter boots(MeterRegistry registry, String outcome) {
    return Counter.builder("boottorrent.boots").description("Boots that ended, by outcome")
        .tag("outcome", outcome).register(registry);
  }

  private static Counter downloaded(MeterRegistry registry, String source) {
    return Counter.builder("boottorrent.agent.downloaded").baseUnit("bytes")
        .description("Payload the agents downloaded (DOWNLOAD_COMPLETE), by source").tag("source", source)
        .register(registry);
  }

  /** {@code PHASE_BOOT_FILES} → {@code boot_files}. */
  static String phaseName(BootPhase phase) {
    return phase.name().substring("PHASE_".length()).toLowerCase(Locale.ROOT);
  }

  /** One event, with the machine as the model has it now (after the event). */
  void observe(BootEvent event, Optional<MachineView> machine, SeederEndpoints seeders) {
    Counter byStage = events.get(event.getStage());
    if (byStage != null) {
      byStage.increment();
    }
    switch (event.getStage()) {
      case DOWNLOAD_COMPLETE -> {
        SeederEndpoints.Split split = seeders.split(event.getBytesFromPeersMap());
        fromSeeder.increment(split.seeder());
        fromPeers.increment(split.peers());
        fromWebSeed.increment(split.webSeed());
      }
      case SEEDING_DONE -> uploaded.increment(event.getBytesUploaded());
      case LAUNCHING, FAILED -> {
        (event.getStage() == BootStage.LAUNCHING ? launched : failed).increment();
        machine.ifPresent(this::recordPhases);
      }
      default -> {
        // counted by stage only
      }
    }
  }

  /** Every phase but the last, which has no end of its own (LAUNCH ends in the OS, FAILED ends it all). */
  private void recordPhases(MachineView machine) {
    for (int i = 0; i < machine.getPhasesCount() - 1; i++) {
      PhaseView phase = machine.getPhases(i);
      Timer timer = phases.get(phase.getPhase());
      if (timer != null && phase.getDurationMs() >= 0) {
        timer.record(Duration.ofMillis(phase.getDurationMs()));
      }
    }
  }
}
