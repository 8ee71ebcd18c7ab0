package io.boottorrent.tftp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The TFTP service's meters (docs/METRICS.md), in the process's registry. Thread-safe: transfers run
 * on several event loops ({@link TransferLoop}) and count from there.
 */
final class TftpMetrics {
  /** Where {@code io.boottorrent.server.Meters} leaves the process's registry (not a dependency here). */
  private static final String SHARED_MAP = "boottorrent.metrics";
  private static final String REGISTRY_KEY = "registry";

  private final MeterRegistry registry;
  private final Counter sent;
  private final Counter failed;
  private final Counter sizeProbes;
  private final Counter refused;
  private final Counter bytes;
  private final Counter retransmitted;
  private final Map<TransferCaps.Cap, Counter> overCap = new EnumMap<>(TransferCaps.Cap.class);
  private final AtomicInteger active = new AtomicInteger();
  private final Gauge activeGauge;

  TftpMetrics(MeterRegistry registry) {
    this.registry = registry;
    sent = transfers("sent");
    failed = transfers("failed");
    sizeProbes = transfers("size_probe");
    refused = transfers("refused");
    bytes = Counter.builder("boottorrent.tftp.sent").baseUnit("bytes")
        .description("DATA payload bytes sent, retransmissions included").register(registry);
    retransmitted = Counter.builder("boottorrent.tftp.retransmitted.blocks")
        .description("DATA blocks sent again (timeouts, a client's repeated ACK or RRQ), counted when the transfer ends")
        .register(registry);
    for (TransferCaps.Cap cap : TransferCaps.Cap.values()) {
      overCap.put(cap, Counter.builder("boottorrent.tftp.refused.busy")
          .description("Read requests answered ERROR 0 \"server busy\" from the request port, no socket opened:"
              + " tftp.maxTransfers (cap=total) or tftp.maxTransfersPerClient (cap=client) running")
          .tag("cap", cap.tag).register(registry));
    }
    activeGauge = Gauge.builder("boottorrent.tftp.transfers.active", active, AtomicInteger::get)
        .description("Read transfers running now").strongReference(true).register(registry);
  }

  /** The meters of the process that runs on {@code vertx}. */
  static TftpMetrics of(Vertx vertx) {
    return new TftpMetrics(processRegistry(vertx));
  }

  /**
   * The registry {@code ServerVertx.start} made for this Vert.x instance; on any other Vert.x (tests,
   * embedded use) a registry nobody reads.
   */
  static MeterRegistry processRegistry(Vertx vertx) {
    Object shared = vertx.sharedData().getLocalMap(SHARED_MAP).get(REGISTRY_KEY);
    return shared instanceof MeterRegistry process ? process : new SimpleMeterRegistry();
  }

  void started() {
    active.incrementAndGet();
  }

  /** A transfer that ran has ended, as {@code outcome} says. */
  void ended(TransferSession.Outcome outcome) {
    active.decrementAndGet();
    (outcome.success() ? sent : outcome.sizeProbe() ? sizeProbes : failed).increment();
    retransmitted.increment(outcome.retransmittedBlocks());
  }

  /** A request answered with an ERROR before any transfer (write, mail mode, no such file, …). */
  void refused() {
    refused.increment();
  }

  /** A read request refused because {@code cap} was reached (not counted in {@link #refused()}). */
  void overCap(TransferCaps.Cap cap) {
    overCap.get(cap).increment();
  }

  void bytesSent(int payload) {
    bytes.increment(payload);
  }

  /** Unregisters the gauge, which points at this verticle's transfers (verticle stop). */
  void close() {
    registry.remove(activeGauge);
  }

  private Counter transfers(String outcome) {
    return Counter.builder("boottorrent.tftp.transfers")
        .description("Read requests by how they ended: sent, failed, size_probe (the client only wanted tsize), refused")
        .tag("outcome", outcome).register(registry);
  }
}
