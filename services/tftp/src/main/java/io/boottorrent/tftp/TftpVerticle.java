package io.boottorrent.tftp;

import io.boottorrent.proto.Addresses;
import io.boottorrent.core.BootEvents;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootScript;
import io.boottorrent.proto.BootScriptRequest;
import io.boottorrent.proto.Codecs;
import io.boottorrent.tftp.protocol.ErrorCode;
import io.boottorrent.tftp.protocol.MalformedPacketException;
import io.boottorrent.tftp.protocol.OptionNegotiation;
import io.boottorrent.tftp.protocol.ReadTransfer;
import io.boottorrent.tftp.protocol.TftpCodec;
import io.boottorrent.tftp.protocol.TftpPacket;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TransferMode;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only TFTP server (RFC 1350 with RFC 2347/2348/2349/7440 options) for PXE firmware and iPXE.
 * Reads the {@code tftp} section of the config tree ({@link TftpOptions}) and the top-level
 * {@code dataDir}.
 *
 * <p>Requests arrive on {@code tftp.bindHost:tftp.port}; each accepted read gets a new ephemeral
 * socket (its TID) and runs independently on one of the {@link TransferLoop}s (one event loop per
 * core by default, {@code tftp.transferLoops}), so many transfers proceed at once: up to
 * {@code tftp.maxTransfers} in total and {@code tftp.maxTransfersPerClient} per client address
 * ({@link TransferCaps}); a request beyond a cap gets ERROR 0 from the request socket. Files come
 * from {@code tftp.root} (default {@code <dataDir>/tftp}, created if missing) and then
 * {@code tftp.fallbackRoots} ({@link FileResolver} has the path rules); they are read with
 * {@code vertx.fileSystem()} asynchronously, never on the event loop. Write requests are refused
 * with ERROR 2.
 *
 * <p>Event bus: publishes a {@link BootEvent} (stage {@code TFTP_TRANSFER}) on
 * {@link Addresses#BOOT_EVENT} when a transfer ends or a request is refused; its message is
 * {@code "<file> <bytes> bytes in <ms> ms"} on success, {@code "<file> failed: <reason>"} otherwise.
 * Transfers, bytes sent and blocks resent are counted in the process's meter registry
 * ({@link TftpMetrics}).
 */
public class TftpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(TftpVerticle.class);
  /**
   * The Secure Boot chain from Debian's packages (shim-signed, grub-efi-amd64-signed), under the names
   * shim loads: firmware → {@code shimx64.efi} → {@code grubx64.efi} (the network GRUB, which reads
   * {@code grub.cfg} beside itself) and shim's MOK manager. Served when no root has these names.
   */
  static final Map<String, Path> SECURE_BOOT_FILES = Map.of(
      "shimx64.efi", Path.of("/usr/lib/shim/shimx64.efi.signed"),
      "mmx64.efi", Path.of("/usr/lib/shim/mmx64.efi.signed"),
      "grubx64.efi", Path.of("/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed"));
  /** Where Debian's signed network GRUB looks for its config: beside itself, and in its prefix {@code /grub}. */
  static final java.util.Set<String> GRUB_CONFIGS = java.util.Set.of("grub.cfg", "grub/grub.cfg");
  static final long BOOT_SCRIPT_TIMEOUT_MS = 5_000;

  /**
   * An accepted request, from the moment it is accepted until its loop reports the end. Its fields
   * are touched on its loop only: the loop sees the transfer's events in order, so it alone can tell
   * whether another RRQ from the same port repeats this one or, the transfer being over, is new.
   */
  private static final class Transfer {
    final TransferLoop loop;
    /** The client's address, under which {@link #caps} counts this transfer. */
    final String host;
    /** Still counted in {@link #caps}: cleared by the one release when the transfer is over. */
    boolean counted = true;
    /** Set once the transfer runs. */
    TransferSession session;
    /** The request was refused or the transfer could not be started. */
    boolean failed;

    Transfer(TransferLoop loop, String host) {
      this.loop = loop;
      this.host = host;
    }

    /**
     * On the loop: true if another RRQ from the client's port repeats this transfer's request (which
     * is being opened, or has not been answered by the client yet); false if it is a new request.
     */
    boolean repeated() {
      if (failed) {
        return false;
      }
      return session == null || session.onRepeatedRequest();
    }
  }

  /** By client host:port; touched on this verticle's context only. */
  private final Map<String, Transfer> transfers = new HashMap<>();
  private final List<TransferLoop> loops = new ArrayList<>();
  /** Transfers counted from acceptance until their socket and file are closed; this context only. */
  private final TransferCaps caps;
  /**
   * When a refusal may next be a WARN line ({@link #monotonicMillis}): at most one per
   * {@link #CAP_WARNING_MS}. A sustained flood keeps the caps full, a slot freed and taken again
   * every few milliseconds, so "once per time they fill up" would still be a line per transfer.
   */
  private long nextCapWarning = Long.MIN_VALUE;
  static final long CAP_WARNING_MS = 10_000;
  private int nextLoop;
  private final TftpOptions options;
  private final Path root;
  private final BootEvents events = BootEvents.system();
  private FileResolver resolver;
  /** Shared by the transfer loops; a netascii RRQ reads its file's whole length only once per version. */
  private NetasciiLengths netasciiLengths;
  private TftpMetrics metrics;
  private volatile DatagramSocket socket;

  /** Serves {@code options.rootIn(dataDir)} and the fallback roots. */
  public TftpVerticle(TftpOptions options, Path dataDir) {
    this.options = options;
    this.root = options.rootIn(dataDir);
    this.caps = new TransferCaps(options.maxTransfers(), options.maxTransfersPerClient());
  }

  @Override
  public Future<?> start() {
    Codecs.registerAll(vertx.eventBus());
    metrics = TftpMetrics.of(vertx);
    netasciiLengths = new NetasciiLengths(vertx, NetasciiLengths.FILES);
    resolver = new FileResolver(root, options.fallbackRoots(),
        options.secureBootChain() ? SECURE_BOOT_FILES : java.util.Map.of());
    vertx.executeBlocking(() -> {
      io.boottorrent.core.PathRule.warnIfHardlinksUnprotected(); // reads /proc: not on the event loop
      return null;
    }, false);
    DatagramSocket s = vertx.createDatagramSocket(new DatagramSocketOptions());
    s.handler(this::onRequest);
    return vertx.fileSystem().mkdirs(root.toString())
        .compose(v -> deployLoops(options.effectiveTransferLoops()))
        .compose(v -> s.listen(options.port(), options.bindHost()))
        .onSuccess(listening -> {
          socket = listening;
          warnIfDescriptorsTooFew();
          LOG.info("tftp listening on {}:{} (root {}, fallback roots {}, max blksize {}, max windowsize {}, "
              + "{} transfer loops)", options.bindHost(), listening.localAddress().port(), root,
              options.fallbackRoots(), options.maxBlksize(), options.maxWindowsize(), loops.size());
        });
  }

  /** Deploys the transfer loops as children: they are undeployed (and their transfers ended) first. */
  private Future<Void> deployLoops(int count) {
    List<TransferLoop> deployed = java.util.Collections.synchronizedList(new ArrayList<>());
    return vertx.deployVerticle(() -> {
      TransferLoop loop = new TransferLoop();
      deployed.add(loop);
      return loop;
    }, new DeploymentOptions().setInstances(count))
        .map(id -> {
          loops.addAll(deployed);
          return null;
        });
  }

  @Override
  public Future<?> stop() {
    // the loops, children of this deployment, were undeployed before: their transfers are over
    if (metrics != null) {
      metrics.close();
    }
    Future<Void> measuring = netasciiLengths == null ? Future.succeededFuture() : netasciiLengths.close();
    DatagramSocket s = socket;
    return measuring.compose(v -> s == null ? Future.succeededFuture() : s.close());
  }

  /** The port requests are received on; -1 before the socket listens. */
  public int actualPort() {
    DatagramSocket s = socket;
    return s == null ? -1 : s.localAddress().port();
  }

  public TftpOptions options() {
    return options;
  }

  /** Whole-file reads made to learn netascii lengths so far (for tests). */
  long netasciiMeasurements() {
    return netasciiLengths.measurements();
  }

  // ---------------------------------------------------------------------------------- requests

  private void onRequest(DatagramPacket packet) {
    SocketAddress from = packet.sender();
    byte[] bytes = packet.data().getBytes();
    TftpPacket decoded;
    try {
      decoded = TftpCodec.decode(bytes);
    } catch (MalformedPacketException e) {
      LOG.debug("malformed request from {}: {}", from, e.getMessage());
      if (!(bytes.length >= 2 && bytes[0] == 0 && bytes[1] == 5)) {
        reply(from, ErrorPacket.of(e.errorCode(), e.getMessage()));
      }
      return;
    }
    if (decoded instanceof ReadRequest rrq) {
      onReadRequest(rrq, from);
    } else if (decoded instanceof TftpPacket.WriteRequest wrq) {
      refused(from, wrq.filename(), ErrorCode.ACCESS_VIOLATION, "read-only server: write requests are refused");
    } else if (!(decoded instanceof ErrorPacket)) {
      reply(from, ErrorPacket.of(ErrorCode.ILLEGAL_OPERATION, decoded.opcode() + " sent to the request port"));
    }
  }

  private void onReadRequest(ReadRequest rrq, SocketAddress from) {
    String key = from.host() + ":" + from.port();
    Transfer known = transfers.get(key);
    if (known != null) {
      // A retransmitted RRQ (the client missed our first packet: the transfer may resend it), or a
      // new request from a port whose transfer is over or nearly (its final ACK may still be on the
      // way to the loop). The loop knows which; a transfer that is not over runs on regardless.
      known.loop.run(context, () -> Future.succeededFuture(known.repeated()))
          .onSuccess(repeat -> {
            if (repeat) {
              LOG.debug("repeated RRQ for {} from {}", rrq.filename(), key);
            } else {
              transfers.remove(key, known);
              onReadRequest(rrq, from);
            }
          });
      return;
    }
    if (rrq.mode() == TransferMode.MAIL) {
      refused(from, rrq.filename(), ErrorCode.ILLEGAL_OPERATION, "mail mode is for write requests only");
      return;
    }
    Optional<TransferCaps.Cap> full = caps.admit(from.host());
    if (full.isPresent()) {
      // From the request port, with no socket or file opened for it: a flood costs no descriptors.
      reply(from, ErrorPacket.of(ErrorCode.NOT_DEFINED, caps.message(full.get())));
      metrics.overCap(full.get());
      long now = monotonicMillis();
      if (now >= nextCapWarning) {
        nextCapWarning = now + CAP_WARNING_MS;
        LOG.warn("refusing read requests: {} (this one from {}; the rest of the next 10 s are counted in "
            + "boottorrent_tftp_refused_busy_total)", caps.message(full.get()), from.host());
      } else {
        LOG.debug("refused {} to {}: {}", rrq.filename(), key, caps.message(full.get()));
      }
      return;
    }
    TransferLoop loop = loops.get(nextLoop);
    nextLoop = (nextLoop + 1) % loops.size();
    Transfer transfer = new Transfer(loop, from.host());
    transfers.put(key, transfer);
    Context home = context;
    // on the loop: the file is opened and read and the socket created there, so they belong to it
    loop.run(home, () -> vertx.executeBlocking(() -> resolver.resolve(rrq.filename()), false)
        .compose(resolved -> vertx.fileSystem()
            .open(resolved.file().toString(), new OpenOptions().setRead(true).setWrite(false).setCreate(false))
            .compose(file -> startTransfer(rrq, from, key, resolved.size(), resolved.file().toString(),
                    negotiated -> rrq.mode() == TransferMode.NETASCII
                        ? netasciiLengths.of(resolved.file())
                            .map(measured -> (BlockSource) NetasciiBlockSource.of(file, measured, negotiated.windowsize()))
                        : Future.succeededFuture(new OctetBlockSource(file, resolved.size(), negotiated.blksize())),
                    transfer, home)
                .onFailure(e -> file.close())))
        .recover(cause -> generated(rrq, cause)
            .compose(text -> startTransfer(rrq, from, key, text.length(), "the catalog's " + rrq.filename(),
                negotiated -> Future.succeededFuture(new MemoryBlockSource(text, negotiated.blksize())), transfer, home)))
        .onFailure(e -> transfer.failed = true))
        .onFailure(cause -> {
          transfers.remove(key, transfer);
          release(transfer);
          if (cause instanceof Refusal refusal) {
            refused(from, rrq.filename(), refusal.code(), refusal.getMessage());
          } else {
            LOG.warn("cannot serve {} to {}: {}", rrq.filename(), key, cause.toString());
            refused(from, rrq.filename(), ErrorCode.NOT_DEFINED, "cannot read file");
          }
        });
  }

  /**
   * A file no root has that this service makes: {@code grub.cfg} (at the TFTP root, where Debian's
   * signed GRUB looks beside itself, and under {@code grub/}), the catalog's GRUB config for the Secure
   * Boot path, asked for on {@code catalog.boot.script}. Otherwise the resolver's refusal stands.
   */
  private Future<Buffer> generated(ReadRequest rrq, Throwable notFound) {
    if (!(notFound instanceof Refusal refusal) || refusal.code() != ErrorCode.FILE_NOT_FOUND
        || !options.secureBootChain() || !GRUB_CONFIGS.contains(rrq.filename().replaceFirst("^/+", ""))) {
      return Future.failedFuture(notFound);
    }
    return vertx.eventBus().<BootScript>request(Addresses.BOOT_SCRIPT, BootScriptRequest.newBuilder().setKind("grub").build(),
            new DeliveryOptions().setSendTimeout(BOOT_SCRIPT_TIMEOUT_MS))
        .map(reply -> {
          String text = reply.body().getText();
          return Buffer.buffer(rrq.mode() == TransferMode.NETASCII ? text.replace("\n", "\r\n") : text);
        })
        .recover(err -> Future.failedFuture(new Refusal(ErrorCode.FILE_NOT_FOUND,
            "grub.cfg comes from the catalog, which did not answer: " + err.getMessage())));
  }

  /** Runs on the transfer's loop; {@code home} is this verticle's context, where the end is reported. */
  private Future<Void> startTransfer(ReadRequest rrq, SocketAddress from, String key, long size, String what,
      java.util.function.Function<OptionNegotiation.Result, Future<BlockSource>> open, Transfer accepted,
      Context home) {
    TransferLoop loop = accepted.loop;
    OptionNegotiation.Result negotiated = OptionNegotiation.forRead(rrq.options(), rrq.mode(), size, options.limits());
    Future<BlockSource> source = open.apply(negotiated);
    // A client's RFC 2349 timeout is acknowledged (it keeps its own interval) and may shorten our
    // base retransmission timeout, never lengthen it: a lost packet is resent sooner, duplicates are
    // harmless, and the exponential backoff keeps us patient enough for slow clients.
    long intervalMs = negotiated.timeoutSeconds().isPresent()
        ? Math.min(options.timeoutMs(), negotiated.timeoutSeconds().getAsInt() * 1000L)
        : options.timeoutMs();
    int maxRetries = options.retries();
    // A repeated ACK (or RRQ) is answered when our last send is at least half a base timeout old:
    // far above a LAN round trip, so echoes of our own retransmissions are not answered, and short
    // enough for a client whose timeout is no shorter than half of ours.
    long repeatHoldoffMs = Math.max(1, intervalMs / 2);
    return source.compose(blocks -> vertx.createDatagramSocket(new DatagramSocketOptions())
        .listen(0, options.bindHost())
        .map(transferSocket -> {
          ReadTransfer transfer = ReadTransfer.of(negotiated, blocks.length(), maxRetries, repeatHoldoffMs,
              TftpVerticle::monotonicMillis, options.congestionControl());
          TransferSession session = new TransferSession(vertx, transferSocket, from, rrq.filename(), transfer,
              blocks, intervalMs, metrics, (done, outcome) -> {
                loop.ended(done);
                metrics.ended(outcome);
                home.runOnContext(v -> ended(key, accepted, outcome));
              });
          accepted.session = session;
          loop.started(session);
          metrics.started();
          LOG.debug("RRQ {} ({}) from {}: {} bytes from {}, blksize {}, windowsize {}, TID {}", rrq.filename(),
              rrq.mode().wireName(), key, blocks.length(), what, negotiated.blksize(),
              negotiated.windowsize(), transferSocket.localAddress().port());
          session.start();
          return null;
        }));
  }

  private static long monotonicMillis() {
    return System.nanoTime() / 1_000_000;
  }

  /** The transfer's socket and file are closed or closing: it no longer counts against the caps. */
  private void release(Transfer transfer) {
    if (transfer.counted) {
      transfer.counted = false;
      caps.release(transfer.host);
    }
  }

  /**
   * Warns when the process may run out of descriptors before the caps stop new transfers: each
   * transfer holds two (socket and file), and the process needs some for everything else.
   */
  private void warnIfDescriptorsTooFew() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long limit = unix.getMaxFileDescriptorCount();
      long needed = 2L * options.maxTransfers() + 256;
      if (limit < needed) {
        LOG.warn("tftp.maxTransfers {} needs about {} file descriptors, but this process may open {} (ulimit -n):"
            + " lower tftp.maxTransfers or raise the limit", options.maxTransfers(), needed, limit);
      }
    }
  }

  private void ended(String key, Transfer transfer, TransferSession.Outcome outcome) {
    transfers.remove(key, transfer);
    release(transfer);
    String ip = outcome.clientHost();
    BootEvent event = outcome.success()
        ? events.tftpSent(ip, outcome.filename(), outcome.bytes(), outcome.totalBytes(), outcome.millis())
        : outcome.sizeProbe() ? events.tftpSizeProbe(ip, outcome.filename(), outcome.reason(), outcome.totalBytes())
        : events.tftpFailed(ip, outcome.filename(), outcome.reason(), outcome.bytes(), outcome.totalBytes());
    if (outcome.sizeProbe()) {
      LOG.info("{} to {}", event.getMessage(), ip);
    } else if (outcome.success()) {
      LOG.info("sent {} to {} ({} blocks resent, {} repeated ACKs/RRQs answered)", event.getMessage(), ip,
          outcome.retransmittedBlocks(), outcome.repeatsAnswered());
    } else {
      LOG.warn("transfer to {}: {}", ip, event.getMessage());
    }
    vertx.eventBus().publish(Addresses.BOOT_EVENT, event);
  }

  private void refused(SocketAddress from, String filename, ErrorCode code, String reason) {
    reply(from, ErrorPacket.of(code, reason));
    metrics.refused();
    LOG.info("refused {} to {}: {}", filename, from, reason);
    vertx.eventBus().publish(Addresses.BOOT_EVENT, events.tftpFailed(from.host(), filename, reason, 0, 0));
  }

  private void reply(SocketAddress to, TftpPacket packet) {
    DatagramSocket s = socket;
    if (s != null) {
      s.send(Buffer.buffer(TftpCodec.encode(packet)), to.port(), to.host())
          .onFailure(e -> LOG.debug("reply to {} failed: {}", to, e.getMessage()));
    }
  }
}
