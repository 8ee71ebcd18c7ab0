package io.boottorrent.nbd;

import io.boottorrent.nbd.protocol.ClientMessage;
import io.boottorrent.nbd.protocol.ClientMessage.ClientFlags;
import io.boottorrent.nbd.protocol.ClientMessage.Option;
import io.boottorrent.nbd.protocol.ClientMessage.Request;
import io.boottorrent.nbd.protocol.Nbd;
import io.boottorrent.nbd.protocol.NbdCodec;
import io.boottorrent.nbd.protocol.NbdCodec.BlockSizes;
import io.boottorrent.nbd.protocol.NbdDecoder;
import io.boottorrent.nbd.protocol.NbdProtocolException;
import io.boottorrent.nbd.protocol.Negotiation;
import io.boottorrent.nbd.protocol.Negotiation.Export;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-only NBD server (fixed newstyle, simple replies) for one named export, on 127.0.0.1 or a
 * Unix domain socket, to any number of connections. Requests are answered as their reads complete,
 * out of order (the handle identifies each reply), so a read waiting for a missing piece does not
 * hold back reads of data already present. The server only does I/O; decisions are
 * {@link Negotiation}'s, bytes {@link NbdCodec}'s and {@link NbdDecoder}'s.
 */
public final class NbdServer {
  private static final Logger log = LoggerFactory.getLogger(NbdServer.class);
  /** Block sizes advertised: any byte granularity, 4 KiB preferred, 32 MiB at most (the spec's usual cap). */
  public static final BlockSizes BLOCK_SIZES = new BlockSizes(1, 4096, 32 << 20);
  /**
   * Reads in flight per connection before the server stops reading that connection's requests:
   * bounds the memory a client can pin (replies not yet written) without serializing reads.
   */
  public static final int MAX_IN_FLIGHT_PER_CONNECTION = 64;

  /** One completed read: where, how much, how long it took from request to reply, whether it worked. */
  public record ReadEvent(long offset, int length, Duration took, boolean ok) {}

  private final Vertx vertx;
  private final Export export;
  private final BlockSource source;
  private final SocketAddress address;
  private final CopyOnWriteArrayList<Consumer<ReadEvent>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong bytesServed = new AtomicLong();
  private final AtomicLong reads = new AtomicLong();
  private final AtomicLong readsInFlight = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private NetServer server;

  private NbdServer(Vertx vertx, String exportName, BlockSource source, SocketAddress address) {
    this.vertx = vertx;
    this.export = new Export(exportName, source.size(), BLOCK_SIZES);
    this.source = source;
    this.address = address;
  }

  /** On 127.0.0.1:{@code port} (0: any free port, see {@link #port()}). */
  public static NbdServer tcp(Vertx vertx, String exportName, BlockSource source, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("NBD port " + port + " is not 0-65535");
    }
    return new NbdServer(vertx, exportName, source, SocketAddress.inetSocketAddress(port, "127.0.0.1"));
  }

  /** On a Unix domain socket at {@code path} (which must not exist yet). */
  public static NbdServer unix(Vertx vertx, String exportName, BlockSource source, String path) {
    return new NbdServer(vertx, exportName, source, SocketAddress.domainSocketAddress(path));
  }

  public Future<NbdServer> start() {
    server = vertx.createNetServer();
    server.connectHandler(this::serve);
    return server.listen(address).map(s -> this);
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** The TCP port listened on (-1 on a Unix socket). */
  public int port() {
    return address.isDomainSocket() ? -1 : server.actualPort();
  }

  /** The Unix socket's path; empty on TCP. */
  public Optional<Path> socketPath() {
    return address.isDomainSocket() ? Optional.of(Path.of(address.path()))
        : Optional.empty();
  }

  /** The export's URI, as qemu and libnbd take it. */
  public String uri() {
    String name = URLEncoder.encode(export.name(), StandardCharsets.UTF_8).replace("+", "%20");
    return address.isDomainSocket()
        ? "nbd+unix:///" + name + "?socket=" + address.path()
        : "nbd://127.0.0.1:" + port() + "/" + name;
  }

  public long bytesServed() {
    return bytesServed.get();
  }

  /** Reads answered (successfully or with EIO). */
  public long reads() {
    return reads.get();
  }

  public long readsInFlight() {
    return readsInFlight.get();
  }

  public long connections() {
    return connections.get();
  }

  /** Called (on an event loop: keep it quick) after each read is answered. */
  public NbdServer onRead(Consumer<ReadEvent> listener) {
    listeners.add(listener);
    return this;
  }

  private void serve(NetSocket socket) {
    connections.incrementAndGet();
    new Connection(socket).begin();
  }

  private final class Connection {
    private final NetSocket socket;
    private final NbdDecoder decoder = new NbdDecoder();
    private boolean noZeroes;
    private boolean ending;
    private int pending;
    private boolean paused;

    /** This connection's event loop: replies are written from it whatever thread a read completes on. */
    private final Context context;

    Connection(NetSocket socket) {
      this.socket = socket;
      this.context = vertx.getOrCreateContext();
    }

    void begin() {
      socket.handler(this::received);
      socket.drainHandler(v -> flow());
      socket.exceptionHandler(e -> log.debug("NBD connection {}: {}", socket.remoteAddress(), e.toString()));
      socket.write(Buffer.buffer(NbdCodec.greeting()));
    }

    private void received(Buffer data) {
      if (ending) {
        return;
      }
      decoder.feed(data.getBytes());
      drive();
    }

    /** Handles what is decoded, until the connection must wait (too many reads out, replies queued). */
    private void drive() {
      try {
        ClientMessage m;
        while (!ending && !mustWait() && (m = decoder.next()) != null) {
          handle(m);
        }
        if (mustWait() && !paused && !ending) {
          paused = true;
          socket.pause();
        }
      } catch (NbdProtocolException e) {
        log.warn("NBD client {}: {}; closing the connection", socket.remoteAddress(), e.getMessage());
        ending = true;
        socket.close();
      }
    }

    private boolean mustWait() {
      return pending >= MAX_IN_FLIGHT_PER_CONNECTION || socket.writeQueueFull();
    }

    /** A reply went out or the write queue drained: go on with buffered requests, then the socket. */
    private void flow() {
      if (ending || mustWait()) {
        return;
      }
      drive();
      if (paused && !mustWait() && !ending) {
        paused = false;
        socket.resume();
      }
    }

    private void handle(ClientMessage m) {
      if (m instanceof ClientFlags f) {
        noZeroes = f.noZeroes();
      } else if (m instanceof Option o) {
        Negotiation.Outcome outcome = Negotiation.answer(o, export, noZeroes);
        if (outcome.reply().length > 0) {
          socket.write(Buffer.buffer(outcome.reply()));
        }
        switch (outcome.next()) {
          case TRANSMIT -> decoder.startTransmission();
          case CLOSE -> {
            ending = true;
            socket.end();
          }
          default -> { }
        }
      } else if (m instanceof Request r) {
        request(r);
      }
    }

    private void request(Request r) {
      if (r.type() == Nbd.CMD_DISC) {
        // the spec: finish outstanding requests, then close; nothing is answered to DISC itself
        ending = true;
        if (pending == 0) {
          socket.end();
        }
        return;
      }
      int error = Negotiation.error(r, export);
      if (error != 0 || r.type() != Nbd.CMD_READ) {
        socket.write(Buffer.buffer(NbdCodec.simpleReply(error, r.handle())));
        return;
      }
      pending++;
      readsInFlight.incrementAndGet();
      long started = System.nanoTime();
      Future<Buffer> read;
      try {
        read = source.read(r.offset(), r.length());
      } catch (RuntimeException e) {
        read = Future.failedFuture(e);
      }
      read.onComplete(ar -> {
        // a BlockSource may complete on any thread: reply from this connection's context
        context.runOnContext(v -> reply(r, ar.succeeded() ? ar.result() : null, ar.cause(), started));
      });
    }

    private void reply(Request r, Buffer data, Throwable failure, long started) {
      pending--;
      readsInFlight.decrementAndGet();
      reads.incrementAndGet();
      boolean ok = data != null && data.length() == r.length();
      if (ok) {
        Buffer out = Buffer.buffer(16 + data.length()).appendBytes(NbdCodec.simpleReply(0, r.handle())).appendBuffer(data);
        socket.write(out);
        bytesServed.addAndGet(data.length());
      } else {
        log.warn("NBD read of {} bytes at {} failed: {}", r.length(), r.offset(),
            failure != null ? failure.getMessage() : "the source returned " + (data == null ? 0 : data.length())
                + " bytes");
        socket.write(Buffer.buffer(NbdCodec.simpleReply(Nbd.EIO, r.handle())));
      }
      ReadEvent event = new ReadEvent(r.offset(), r.length(), Duration.ofNanos(System.nanoTime() - started), ok);
      for (Consumer<ReadEvent> l : listeners) {
        try {
          l.accept(event);
        } catch (RuntimeException e) {
          log.warn("NBD read listener failed: {}", e.toString());
        }
      }
      if (ending && pending == 0) {
        socket.end();
      } else {
        flow();
      }
    }
  }
}
