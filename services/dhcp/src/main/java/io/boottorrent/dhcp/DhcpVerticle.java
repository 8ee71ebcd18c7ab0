package io.boottorrent.dhcp;

import io.boottorrent.core.BootEvents;
import io.boottorrent.core.StateFiles;
import io.boottorrent.dhcp.DhcpServerLogic.Port;
import io.boottorrent.dhcp.protocol.DhcpCodec;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MalformedPacketException;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.Codecs;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The DHCP service: one UDP socket on {@code dhcp.bindHost:dhcp.port} (plus {@code dhcp.proxyPort}
 * in proxy mode), broadcast enabled. Each datagram is decoded ({@link DhcpCodec}), answered by
 * {@link DhcpServerLogic#replyFor}, and the lease changes it caused are forced to the lease journal
 * ({@code <dataDir>/dhcp/leases}, off the event loop) before the reply is sent — so an address
 * announced to one machine is on disk before anyone hears of it, and survives a restart.
 *
 * <p>Malformed or hostile packets are dropped with a DEBUG line; nothing escapes the receive handler.
 * Every lease (ACK with an address) and every PXE offer is published as a {@link BootEvent}
 * ({@code DHCP_LEASE}, {@code PXE_OFFER}) on {@link Addresses#BOOT_EVENT}. Requests, replies, PXE
 * offers and drops are counted in the process's meter registry ({@link DhcpMetrics}).
 *
 * <p>Deploy one instance per process: the lease store lives in the verticle. Binding port 67 needs
 * root or CAP_NET_BIND_SERVICE. On a host with several interfaces the broadcast replies leave through
 * the route to 255.255.255.255 (Java cannot pick the interface per packet), so run it where the boot
 * network is the only or the default-routed network, or add {@code ip route add 255.255.255.255 dev X}.
 */
public final class DhcpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DhcpVerticle.class);
  /** Journal lines before compaction is considered; then when lines exceed 4× the live records. */
  static final int MIN_COMPACT_LINES = 1000;
  /**
   * SO_RCVBUF of the DHCP sockets (the kernel caps it at net.core.rmem_max). The default
   * (net.core.rmem_default, 208 KiB) holds about 200 DISCOVERs: DhcpStormDuringDownloadsTest (services/cli)
   * lost a quarter of a 200-client storm at the socket while 16 downloads kept the process busy. Not
   * more than 1 MiB (about 1000 requests): what the buffer holds is answered late, and a server that
   * has fallen behind answers stale requests first. With 4 MiB, TwoServersPerfdhcpTest on an overloaded
   * machine saw its servers still answering the previous run's clients seconds later (16 and 0 DORA
   * exchanges/s of the 400 asked, hundreds of perfdhcp "orphans"); with 1 MiB, 211–395/s.
   */
  static final int RECEIVE_BUFFER_BYTES = 1 << 20;

  private final DhcpConfig options;
  private final Path dataDir;
  private final BootEvents events = BootEvents.system();
  private ServerContext context;
  /** Who "declined" an address held back because its lease record was unreadable. */
  static final String UNKNOWN_HOLDER = "00:00:00:00:00:00";
  private LeaseJournal journal;
  private JournalWriter writer;
  private DatagramSocket socket;
  private DatagramSocket proxySocket;
  private DhcpMetrics metrics;
  /** How often the offer limits' work is logged, when there was any. */
  static final long LIMIT_REPORT_MS = 10_000;
  private long limitReport = -1;
  private long[] reported = {0, 0, 0};

  /**
   * @param config the resolved {@code dhcp} section ({@link DhcpServerOptions#resolve})
   * @param dataDir where the lease journal lives ({@code <dataDir>/dhcp/leases})
   */
  public DhcpVerticle(DhcpConfig config, Path dataDir) {
    this.options = config;
    this.dataDir = dataDir;
  }

  @Override
  public Future<?> start() {
    // Idempotent; needed when the Vert.x instance was not made by ServerVertx.start (embedded, tests).
    Codecs.registerAll(vertx.eventBus());
    metrics = DhcpMetrics.of(vertx);
    journal = LeaseJournal.inDataDir(dataDir);
    return vertx.executeBlocking(journal::load)
        .compose(records -> {
          StateFiles.report(vertx, journal.setAside().stream().toList());
          LeaseStore leases = LeaseStore.replay(records);
          long holdUntil = System.currentTimeMillis() + options.leaseSeconds() * 1000;
          for (Ipv4 ip : journal.unreadableAddresses()) {
            // Its last record is unreadable: a client may hold it. Declined for a lease time (and journaled
            // with the next write), then free again.
            leases.decline(UNKNOWN_HOLDER, ip, holdUntil);
            LOG.warn("dhcp: {} is not offered until {}: its lease record in {} is unreadable", ip,
                java.time.Instant.ofEpochMilli(holdUntil), journal.file());
          }
          context = new ServerContext(options, leases, System::currentTimeMillis);
          metrics.offerLimits(context.offerLimiter());
          limitReport = vertx.setPeriodic(LIMIT_REPORT_MS, id -> reportLimits());
          writer = new JournalWriter(records.size());
          return listen(options.port(), Port.DHCP);
        })
        .compose(bound -> {
          socket = bound;
          return options.mode() == DhcpConfig.Mode.PROXY ? listen(options.proxyPort(), Port.PXE)
              : Future.succeededFuture(null);
        })
        .onSuccess(bound -> {
          proxySocket = bound;
          LOG.info("dhcp ({} mode) on {}:{}{}, server address {}, {} pool(s){}, {} held lease(s) from {}",
              options.mode().name().toLowerCase(), options.bindHost(), actualPort(),
              bound == null ? "" : " and :" + actualProxyPort(), options.serverAddress(), options.pools().size(),
              options.poolShare().isWhole() ? "" : " (share " + options.poolShare() + " of each)",
              context.leases().held(System.currentTimeMillis()).size(), journal.file());
        });
  }

  /**
   * One WARN line per {@link #LIMIT_REPORT_MS} in which the offer limits refused or took back
   * anything, rather than a line per DISCOVER of a flood.
   */
  private void reportLimits() {
    OfferLimiter limiter = context.offerLimiter();
    long[] now = {limiter.limitedByMac(), limiter.limitedByRelay(), limiter.reclaimedOffers()};
    if (now[0] != reported[0] || now[1] != reported[1] || now[2] != reported[2]) {
      LOG.warn("offer limits in the last {} s: {} DISCOVERs not answered over dhcp.offerRatePerMacPerMinute, {} over"
          + " dhcp.offerRatePerRelay; {} offers never REQUESTed taken back for new clients (pool full);"
          + " {} offers outstanding", LIMIT_REPORT_MS / 1000, now[0] - reported[0], now[1] - reported[1],
          now[2] - reported[2], context.leases().offersHeld(Ipv4.ZERO, Ipv4.BROADCAST, System.currentTimeMillis()));
      reported = now;
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(limitReport);
    List<Future<?>> closing = new ArrayList<>();
    if (socket != null) {
      closing.add(socket.close());
    }
    if (proxySocket != null) {
      closing.add(proxySocket.close());
    }
    if (writer != null) {
      closing.add(writer.idle());
    }
    return Future.join(closing);
  }

  /** The bound DHCP port (useful with {@code dhcp.port: 0}); -1 before start. */
  public int actualPort() {
    return socket == null ? -1 : socket.localAddress().port();
  }

  /** The bound proxyDHCP/PXE port in proxy mode; -1 otherwise. */
  public int actualProxyPort() {
    return proxySocket == null ? -1 : proxySocket.localAddress().port();
  }

  /** The live lease store (tests read it; confined to this verticle's event loop otherwise). */
  public LeaseStore leases() {
    return context == null ? null : context.leases();
  }

  public DhcpConfig options() {
    return options;
  }

  private Future<DatagramSocket> listen(int port, Port which) {
    DatagramSocketOptions socketOptions = new DatagramSocketOptions()
        .setBroadcast(true)
        // A boot storm arrives while the event loop may be busy: queue it rather than drop it at the socket
        .setReceiveBufferSize(RECEIVE_BUFFER_BYTES)
        // proxyDHCP shares port 67 with the network's real DHCP server when they run on one host.
        .setReuseAddress(options.mode() == DhcpConfig.Mode.PROXY);
    DatagramSocket created = vertx.createDatagramSocket(socketOptions);
    created.exceptionHandler(e -> LOG.debug("dhcp socket error: {}", e.toString()));
    created.handler(packet -> receive(created, packet, which));
    return created.listen(port, options.bindHost());
  }

  /** Never throws: a bad packet or a bug in the logic costs one reply, not the socket. */
  private void receive(DatagramSocket on, DatagramPacket packet, Port which) {
    long readAt = System.nanoTime();
    String sender = packet.sender() == null ? "?" : packet.sender().host() + ":" + packet.sender().port();
    try {
      DhcpMessage request;
      try {
        request = DhcpCodec.decode(packet.data().getBytes());
      } catch (MalformedPacketException e) {
        LOG.debug("dropped {} bytes from {}: {}", packet.data().length(), sender, e.getMessage());
        metrics.dropped(DhcpMetrics.MALFORMED);
        return;
      }
      metrics.received(request.messageType());
      MDC.put("xid", String.format("%08x", request.xid()));
      try {
        handle(on, request, new InetSocketAddress(packet.sender().host(), packet.sender().port()), which, readAt);
      } finally {
        MDC.remove("xid");
      }
    } catch (RuntimeException e) {
      LOG.warn("internal error on a packet from {}; dropped", sender, e);
      metrics.dropped(DhcpMetrics.INTERNAL_ERROR);
    }
  }

  private void handle(DatagramSocket on, DhcpMessage request, InetSocketAddress from, Port which, long readAt) {
    Optional<DhcpReply> reply = Optional.empty();
    try {
      reply = DhcpServerLogic.replyFor(context, request, from, which);
    } catch (RuntimeException e) {
      LOG.warn("no reply to {} from {}: {}", request.messageType().orElse(null), request.mac(), e.toString(), e);
      metrics.dropped(DhcpMetrics.INTERNAL_ERROR);
    }
    LOG.debug("{} {} from {} ({}) → {}", which, request.messageType().orElse(null), request.mac(), from,
        reply.map(r -> r.type() + " " + r.message().yiaddr() + " to " + r.destination()).orElse("no reply"));
    List<Lease> changes = context.leases().drainChanges();
    Future<Void> durable = changes.isEmpty() ? Future.succeededFuture() : writer.write(changes);
    Optional<DhcpReply> answer = reply;
    durable
        .onFailure(e -> {
          LOG.error("lease journal {} not written ({}); reply to {} not sent", journal.file(), e.toString(),
              request.mac());
          if (answer.isPresent()) {
            metrics.dropped(DhcpMetrics.JOURNAL_ERROR);
          }
        })
        .onSuccess(v -> answer.ifPresent(r -> send(on, r, request, readAt)));
  }

  private void send(DatagramSocket on, DhcpReply reply, DhcpMessage request, long readAt) {
    InetSocketAddress to = reply.destination();
    on.send(Buffer.buffer(DhcpCodec.encode(reply.message())), to.getPort(), to.getAddress().getHostAddress())
        .onFailure(e -> LOG.debug("could not send {} to {}: {}", reply.type(), to, e.toString()))
        .onSuccess(v -> {
          // the time spent in this process (logic, journal, event loop): tells a slow server from a slow network
          LOG.debug("sent {} to {} {} ms after its request was read", reply.type(), request.mac(),
              (System.nanoTime() - readAt) / 1_000_000);
          metrics.replied(reply);
          publishEvents(reply, request);
        });
  }

  private void publishEvents(DhcpReply reply, DhcpMessage request) {
    String arch = reply.boot().map(BootChoice::archName).orElse("");
    if (reply.grantsLease()) {
      vertx.eventBus().publish(Addresses.BOOT_EVENT, events.dhcpLease(request.mac(),
          reply.message().yiaddr().toString(), arch, options.leaseSeconds()));
    }
    if (reply.isPxeOffer()) {
      BootChoice boot = reply.boot().orElseThrow();
      String ip = reply.message().yiaddr().isZero() ? "" : reply.message().yiaddr().toString();
      vertx.eventBus().publish(Addresses.BOOT_EVENT, events.pxeOffer(request.mac(), ip, arch,
          boot.kind().name(), boot.bootFile()));
    }
  }

  /**
   * Group commit on the event loop: changes that arrive while a write is in flight go out together in
   * the next one; each caller's future completes when its changes are on disk. Writes run one at a
   * time, in order, on a worker thread. When the journal has grown past {@link #MIN_COMPACT_LINES} and
   * 4× the live records, the next write is a compaction (a snapshot taken here, on the event loop).
   */
  private final class JournalWriter {
    private final List<Lease> pending = new ArrayList<>();
    private final List<Promise<Void>> waiters = new ArrayList<>();
    private final List<Promise<Void>> idleWaiters = new ArrayList<>();
    private boolean writing;
    private long linesInJournal;

    JournalWriter(long linesInJournal) {
      this.linesInJournal = linesInJournal;
    }

    Future<Void> write(List<Lease> changes) {
      Promise<Void> promise = Promise.promise();
      pending.addAll(changes);
      waiters.add(promise);
      if (!writing) {
        flush();
      }
      return promise.future();
    }

    Future<Void> idle() {
      if (!writing) {
        return Future.succeededFuture();
      }
      Promise<Void> promise = Promise.promise();
      idleWaiters.add(promise);
      return promise.future();
    }

    private void flush() {
      writing = true;
      List<Lease> batch = List.copyOf(pending);
      List<Promise<Void>> done = List.copyOf(waiters);
      pending.clear();
      waiters.clear();
      List<Lease> snapshot = null;
      if (linesInJournal + batch.size() > Math.max(MIN_COMPACT_LINES, 4L * context.leases().size())) {
        snapshot = context.leases().snapshot();
      }
      List<Lease> compacted = snapshot;
      vertx.executeBlocking(() -> {
        if (compacted != null) {
          journal.compact(compacted);
        } else {
          journal.append(batch);
        }
        return null;
      }).onComplete(result -> {
        if (result.succeeded()) {
          linesInJournal = compacted != null ? compacted.size() : linesInJournal + batch.size();
          done.forEach(Promise::complete);
        } else {
          done.forEach(p -> p.fail(result.cause()));
        }
        writing = false;
        if (!pending.isEmpty()) {
          flush();
        } else {
          idleWaiters.forEach(Promise::complete);
          idleWaiters.clear();
        }
      });
    }
  }
}
