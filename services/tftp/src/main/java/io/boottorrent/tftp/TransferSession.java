package io.boottorrent.tftp;

import io.boottorrent.tftp.protocol.ErrorCode;
import io.boottorrent.tftp.protocol.MalformedPacketException;
import io.boottorrent.tftp.protocol.Opcode;
import io.boottorrent.tftp.protocol.ReadTransfer;
import io.boottorrent.tftp.protocol.ReadTransfer.Action;
import io.boottorrent.tftp.protocol.TftpCodec;
import io.boottorrent.tftp.protocol.TftpPacket;
import io.boottorrent.tftp.protocol.TftpPacket.Ack;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.net.SocketAddress;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read transfer: its own UDP socket (the server's TID, RFC 1350 §4), the {@link ReadTransfer}
 * state machine, a {@link BlockSource} and the retransmission timer. Runs on one {@link TransferLoop}'s
 * event loop, which created its socket and opened its file; file reads are asynchronous.
 */
final class TransferSession {
  private static final Logger LOG = LoggerFactory.getLogger(TransferSession.class);
  private static final long NO_DEADLINE = Long.MAX_VALUE;

  /**
   * How a transfer ended, for the boot event. {@code sizeProbe}: the client only wanted the size
   * (see {@link ReadTransfer.SizeProbed}).
   */
  record Outcome(String filename, String clientHost, boolean success, long bytes, long totalBytes,
      long millis, String reason, long retransmittedBlocks, long repeatsAnswered, boolean sizeProbe) {}

  private final Vertx vertx;
  private final DatagramSocket socket;
  private final SocketAddress client;
  private final String filename;
  private final ReadTransfer transfer;
  private final BlockSource source;
  /** Base retransmission timeout, multiplied by the transfer's backoff factor. */
  private final long timeoutMs;
  private final TftpMetrics metrics;
  private final BiConsumer<TransferSession, Outcome> onEnd;
  private final long startedNanos = System.nanoTime();

  /** The transfer ended as a size probe. */
  private boolean probe;
  private long nextToSend = 1;
  private long lastToSend;
  private boolean pumping;
  /** Blocks the current burst may still send ({@link io.boottorrent.tftp.protocol.CongestionWindow}). */
  private int burstLeft;
  /** The timer that starts the window's next burst, or -1. */
  private long paceTimerId = -1;
  /** When the transfer times out unless the client answers; {@link #NO_DEADLINE} while sending. */
  private long deadlineNanos = NO_DEADLINE;
  /** The one pending timer (or -1) and when it fires; it may fire before the deadline and re-arm. */
  private long timerId = -1;
  private long timerDueNanos;
  private boolean ended;
  private Future<Void> lastSend = Future.succeededFuture();

  TransferSession(Vertx vertx, DatagramSocket socket, SocketAddress client, String filename,
      ReadTransfer transfer, BlockSource source, long timeoutMs, TftpMetrics metrics,
      BiConsumer<TransferSession, Outcome> onEnd) {
    this.vertx = vertx;
    this.socket = socket;
    this.client = client;
    this.filename = filename;
    this.transfer = transfer;
    this.source = source;
    this.timeoutMs = timeoutMs;
    this.metrics = metrics;
    this.onEnd = onEnd;
  }

  void start() {
    socket.handler(this::onPacket);
    apply(transfer.start());
  }

  /** The transfer's local port: the server's TID. */
  int localPort() {
    return socket.localAddress().port();
  }

  /**
   * An RRQ from this transfer's client port: a repeat of its request while the client has not
   * answered on our TID yet (see {@link ReadTransfer#onRepeatedRequest()}).
   *
   * @return false if it is not a repeat (this transfer has ended, or the client already answered):
   *     a new request, while this transfer runs on to its own end
   */
  boolean onRepeatedRequest() {
    if (ended || !transfer.awaitsFirstAnswer()) {
      return false;
    }
    transfer.onRepeatedRequest().ifPresent(this::apply);
    return true;
  }

  /** Ends the transfer at once (verticle undeploy): the client gets ERROR 0. */
  Future<Void> shutdown() {
    transfer.abort(ErrorCode.NOT_DEFINED, "server shutting down").ifPresent(this::apply);
    return Future.succeededFuture();
  }

  private void onPacket(DatagramPacket packet) {
    if (ended) {
      return;
    }
    SocketAddress from = packet.sender();
    byte[] bytes = packet.data().getBytes();
    if (from.port() != client.port() || !from.host().equals(client.host())) {
      // RFC 1350 §4: a packet from a stranger gets ERROR 5 and does not disturb the transfer.
      if (!isError(bytes)) {
        send(ErrorPacket.of(ErrorCode.UNKNOWN_TID, "unknown transfer ID"), from);
      }
      return;
    }
    TftpPacket decoded;
    try {
      decoded = TftpCodec.decode(bytes);
    } catch (MalformedPacketException e) {
      transfer.abort(ErrorCode.ILLEGAL_OPERATION, "malformed packet: " + e.getMessage()).ifPresent(this::apply);
      return;
    }
    if (decoded instanceof Ack ack) {
      transfer.onAck(ack.block()).ifPresent(this::apply);
    } else if (decoded instanceof ErrorPacket error) {
      transfer.onClientError(error).ifPresent(this::apply);
    } else {
      transfer.abort(ErrorCode.ILLEGAL_OPERATION, decoded.opcode() + " during a read transfer").ifPresent(this::apply);
    }
  }

  private static boolean isError(byte[] bytes) {
    return bytes.length >= 2 && bytes[0] == 0 && bytes[1] == 5;
  }

  private void apply(Action action) {
    if (ended) {
      return;
    }
    if (action instanceof ReadTransfer.SendOptionAck oack) {
      send(oack.packet(), client);
      armTimer();
    } else if (action instanceof ReadTransfer.SendBlocks blocks) {
      // no timeout while the window goes out (a block may wait for a file read)
      deadlineNanos = NO_DEADLINE;
      nextToSend = blocks.first();
      lastToSend = blocks.last();
      if (paceTimerId < 0) {
        // a new window starts a new burst; while a gap runs, the pace timer goes on with it
        burstLeft = transfer.congestion().burst();
      }
      pump();
    } else if (action instanceof ReadTransfer.Completed done) {
      end(true, done.bytes(), "");
    } else if (action instanceof ReadTransfer.Failed failed) {
      failed.reply().ifPresent(error -> send(error, client));
      end(false, bytesAcked(), failed.reason());
    } else if (action instanceof ReadTransfer.SizeProbed probed) {
      probe = true;
      end(false, 0, "size probe (tsize " + probed.tsize() + "), client ended it with " + probed.clientError());
    }
  }

  /**
   * Sends blocks nextToSend..lastToSend. Blocks already in memory go out in a loop; a block that
   * needs a file read suspends the pump until the read completes. A new window replaces the range;
   * a read that completes for a block no longer wanted is dropped. After a burst of
   * {@code burst()} blocks the rest of the window waits for the pace timer.
   */
  private void pump() {
    if (pumping || ended || paceTimerId >= 0) {
      return;
    }
    pumping = true;
    while (!ended && nextToSend <= lastToSend) {
      if (burstLeft <= 0) {
        pumping = false;
        paceTimerId = vertx.setTimer(transfer.congestion().gapMillis(), id -> {
          paceTimerId = -1;
          burstLeft = transfer.congestion().burst();
          pump();
        });
        return;
      }
      long index = nextToSend;
      Future<Buffer> payload = source.block(index, transfer.blockLength(index));
      if (!payload.isComplete()) {
        payload.onComplete(ar -> {
          pumping = false;
          if (ar.failed()) {
            readFailed(ar.cause());
            return;
          }
          if (index == nextToSend && !ended) {
            sendBlock(index, ar.result());
          }
          pump();
        });
        return;
      }
      if (payload.failed()) {
        pumping = false;
        readFailed(payload.cause());
        return;
      }
      sendBlock(index, payload.result());
    }
    pumping = false;
    if (!ended) {
      transfer.windowSent();
      armTimer();
    }
  }

  private void sendBlock(long index, Buffer payload) {
    nextToSend = index + 1;
    burstLeft--;
    Buffer packet = Buffer.buffer(TftpCodec.DATA_HEADER_LENGTH + payload.length())
        .appendUnsignedShort(Opcode.DATA.code())
        .appendUnsignedShort(ReadTransfer.wireBlock(index))
        .appendBuffer(payload);
    metrics.bytesSent(payload.length());
    lastSend = socket.send(packet, client.port(), client.host())
        .onFailure(e -> LOG.debug("send of block {} to {} failed: {}", index, client, e.getMessage()));
  }

  private void readFailed(Throwable cause) {
    LOG.warn("reading {} for {} failed: {}", filename, client, cause.getMessage());
    transfer.abort(ErrorCode.NOT_DEFINED, "read error: " + cause.getMessage()).ifPresent(this::apply);
  }

  private void send(TftpPacket packet, SocketAddress to) {
    lastSend = socket.send(Buffer.buffer(TftpCodec.encode(packet)), to.port(), to.host())
        .onFailure(e -> LOG.debug("send of {} to {} failed: {}", packet.opcode(), to, e.getMessage()));
  }

  /**
   * Starts the wait for the client's answer: the transfer times out {@code timeoutMs} times the
   * backoff factor from now. Moving the deadline keeps the pending timer when it fires no later
   * (it re-arms itself for the rest), so an ACK costs no timer cancel and re-arm.
   */
  private void armTimer() {
    long delayMs = timeoutMs * transfer.backoffFactor();
    deadlineNanos = System.nanoTime() + delayMs * 1_000_000;
    if (timerId >= 0 && timerDueNanos - deadlineNanos <= 0) {
      return;
    }
    cancelTimer();
    schedule(delayMs);
  }

  private void schedule(long delayMs) {
    timerDueNanos = System.nanoTime() + delayMs * 1_000_000;
    timerId = vertx.setTimer(delayMs, id -> {
      timerId = -1;
      if (ended || deadlineNanos == NO_DEADLINE) {
        return;
      }
      long leftNanos = deadlineNanos - System.nanoTime();
      if (leftNanos > 0) {
        schedule(Math.max(1, (leftNanos + 999_999) / 1_000_000));
        return;
      }
      deadlineNanos = NO_DEADLINE;
      transfer.onTimeout().ifPresent(this::apply);
    });
  }

  private void cancelTimer() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  private long bytesAcked() {
    long acked = transfer.acked();
    return acked == 0 ? 0 : Math.min(transfer.length(), acked * transfer.blksize());
  }

  private void end(boolean success, long bytes, String reason) {
    ended = true;
    cancelTimer();
    if (paceTimerId >= 0) {
      vertx.cancelTimer(paceTimerId);
      paceTimerId = -1;
    }
    // The last packet (final ERROR) may still sit in the socket's queue: close once it is out.
    lastSend.onComplete(ar -> socket.close());
    source.close().onFailure(e -> LOG.debug("closing {} failed: {}", filename, e.getMessage()));
    long millis = (System.nanoTime() - startedNanos) / 1_000_000;
    onEnd.accept(this, new Outcome(filename, client.host(), success, bytes, transfer.length(), millis, reason,
        transfer.retransmittedBlocks(), transfer.repeatsAnswered(), probe));
  }

  ReadTransfer transfer() {
    return transfer;
  }
}
