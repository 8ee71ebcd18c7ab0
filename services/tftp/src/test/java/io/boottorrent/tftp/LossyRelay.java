package io.boottorrent.tftp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lossy UDP relay between one TFTP client and the server, on loopback. The kernel here has no
 * netem, so loss is emulated here: every datagram passes a {@link Link} for its direction, which
 * delivers it, delays it or drops it. {@link #randomLoss} drops each datagram with a fixed
 * probability (pseudo-random, fixed seed); {@link Bottleneck} is a rate-limited link with a bounded
 * queue that many relays can share, like the server's shaped uplink in the boot-storm benchmark.
 *
 * <p>The client sends its request to {@link #port()}; the relay forwards it to the server's request
 * port from its own upstream socket. The server answers from a new port per transfer (its TID); for
 * each such port the relay opens a mirror socket and relays the server's packets to the client from
 * it, so the client sees a per-transfer TID just as without the relay, and packets the client sends
 * to that mirror go to the server's TID.
 */
final class LossyRelay implements AutoCloseable {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  /** One direction of the relay: delivers a datagram (now or later) or drops it. */
  interface Link {
    /** Sends {@code packet} to {@code to} from {@code via}, at once or later; false if it is dropped. */
    boolean carry(byte[] packet, DatagramSocket via, SocketAddress to) throws IOException;
  }

  /** Delivers everything at once. */
  static final Link LOSSLESS = (packet, via, to) -> {
    via.send(new DatagramPacket(packet, packet.length, to));
    return true;
  };

  /** Drops each datagram with probability {@code lossRate} (pseudo-random from {@code seed}). */
  static Link randomLoss(double lossRate, long seed) {
    Random random = new Random(seed);
    return (packet, via, to) -> {
      boolean drop;
      synchronized (random) {
        drop = random.nextDouble() < lossRate;
      }
      return !drop && LOSSLESS.carry(packet, via, to);
    };
  }

  private final int serverPort;
  private final Link toClientLink;
  private final Link toServerLink;
  private final DatagramSocket front;
  private final DatagramSocket upstream;
  private final Map<Integer, DatagramSocket> mirrors = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile SocketAddress client;
  private volatile boolean closed;

  final AtomicLong toServer = new AtomicLong();
  final AtomicLong toServerDropped = new AtomicLong();
  final AtomicLong toClient = new AtomicLong();
  final AtomicLong toClientDropped = new AtomicLong();

  /** Both directions drop {@code lossRate} of the datagrams (one pseudo-random sequence from {@code seed}). */
  LossyRelay(int serverPort, double lossRate, long seed) {
    this(serverPort, randomLoss(lossRate, seed));
  }

  private LossyRelay(int serverPort, Link both) {
    this(serverPort, both, both);
  }

  /** Datagrams from the server to the client go through {@code toClientLink}, the others through {@code toServerLink}. */
  LossyRelay(int serverPort, Link toClientLink, Link toServerLink) {
    this.serverPort = serverPort;
    this.toClientLink = toClientLink;
    this.toServerLink = toServerLink;
    try {
      front = socket();
      upstream = socket();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // client -> relay request port -> server request port
    loop("relay-front", front, (packet, from) -> {
      client = from;
      forward(packet, toServerLink, upstream, new InetSocketAddress(LOOPBACK, serverPort), toServer, toServerDropped);
    });
    // server (request port or any TID) -> client, through the mirror of that TID
    loop("relay-upstream", upstream, (packet, from) -> {
      int serverTid = ((InetSocketAddress) from).getPort();
      DatagramSocket via = serverTid == this.serverPort ? front : mirrors.computeIfAbsent(serverTid, this::mirror);
      SocketAddress to = client;
      if (to != null) {
        forward(packet, toClientLink, via, to, toClient, toClientDropped);
      }
    });
  }

  /** Where the client sends its request. */
  int port() {
    return front.getLocalPort();
  }

  /** Number of server TIDs seen (one per transfer). */
  int transfersSeen() {
    return mirrors.size();
  }

  private DatagramSocket mirror(int serverTid) {
    try {
      DatagramSocket mirror = socket();
      // client -> mirror -> the server's TID
      loop("relay-mirror-" + serverTid, mirror, (packet, from) ->
          forward(packet, toServerLink, upstream, new InetSocketAddress(LOOPBACK, serverTid), toServer, toServerDropped));
      return mirror;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static DatagramSocket socket() throws SocketException {
    DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
    s.setReceiveBufferSize(4 * 1024 * 1024);
    s.setSendBufferSize(4 * 1024 * 1024);
    return s;
  }

  private interface Handler {
    void handle(byte[] packet, SocketAddress from) throws IOException;
  }

  private void loop(String name, DatagramSocket socket, Handler handler) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[65536];
      while (!closed) {
        DatagramPacket datagram = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(datagram);
          byte[] copy = java.util.Arrays.copyOf(buffer, datagram.getLength());
          handler.handle(copy, datagram.getSocketAddress());
        } catch (IOException e) {
          if (closed || socket.isClosed()) {
            return;
          }
        }
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    synchronized (threads) {
      threads.add(thread);
    }
  }

  private static void forward(byte[] packet, Link link, DatagramSocket via, SocketAddress to, AtomicLong sent,
      AtomicLong dropped) throws IOException {
    if (link.carry(packet, via, to)) {
      sent.incrementAndGet();
    } else {
      dropped.incrementAndGet();
    }
  }

  @Override
  public void close() {
    closed = true;
    front.close();
    upstream.close();
    mirrors.values().forEach(DatagramSocket::close);
  }

  @Override
  public String toString() {
    return String.format("relay: to server %d sent / %d dropped, to client %d sent / %d dropped",
        toServer.get(), toServerDropped.get(), toClient.get(), toClientDropped.get());
  }
}
