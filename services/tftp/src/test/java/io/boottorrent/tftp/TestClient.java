package io.boottorrent.tftp;

import io.boottorrent.tftp.protocol.MalformedPacketException;
import io.boottorrent.tftp.protocol.TftpCodec;
import io.boottorrent.tftp.protocol.TftpPacket;
import io.boottorrent.tftp.protocol.TftpPacket.Ack;
import io.boottorrent.tftp.protocol.TftpPacket.Data;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TransferMode;
import io.boottorrent.tftp.protocol.TransferOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Optional;

/**
 * Our own minimal blocking TFTP client for edge cases the real clients cannot provoke: it can send
 * any packet to any port and sees exactly what comes back, from which port.
 */
final class TestClient implements AutoCloseable {
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  /** One datagram received: the decoded packet and the port (TID) it came from. */
  record Received(TftpPacket packet, int port) {}

  private final DatagramSocket socket;
  private final int serverPort;

  TestClient(int serverPort) {
    this.serverPort = serverPort;
    try {
      socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
      socket.setReceiveBufferSize(4 * 1024 * 1024);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int localPort() {
    return socket.getLocalPort();
  }

  void sendRequest(TftpPacket packet) {
    send(packet, serverPort);
  }

  void send(TftpPacket packet, int port) {
    sendRaw(TftpCodec.encode(packet), port);
  }

  void sendRaw(byte[] bytes, int port) {
    try {
      socket.send(new DatagramPacket(bytes, bytes.length, LOOPBACK, port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next datagram, or empty after {@code timeoutMs}. */
  Optional<Received> receive(int timeoutMs) {
    byte[] buffer = new byte[65536];
    DatagramPacket datagram = new DatagramPacket(buffer, buffer.length);
    try {
      socket.setSoTimeout(timeoutMs);
      socket.receive(datagram);
    } catch (SocketTimeoutException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return Optional.of(new Received(TftpCodec.decode(buffer, 0, datagram.getLength()), datagram.getPort()));
    } catch (MalformedPacketException e) {
      throw new AssertionError("server sent a malformed packet: " + e.getMessage(), e);
    }
  }

  Received expect(int timeoutMs) {
    return receive(timeoutMs).orElseThrow(() -> new AssertionError("nothing received within " + timeoutMs + " ms"));
  }

  /** Result of {@link #get}: the bytes, the server's TID and what the OACK said (if any). */
  record Download(byte[] bytes, int tid, Optional<OptionAck> optionAck) {}

  /** Downloads {@code file} in octet mode; fails on ERROR or silence. */
  Download get(String file, TransferOptions options) {
    return get(file, TransferMode.OCTET, options);
  }

  /**
   * A complete window-aware read: acks the OACK with ACK 0, then acks the last block of every window
   * (and on a gap or a timeout the last block received in order, RFC 7440).
   */
  Download get(String file, TransferMode mode, TransferOptions options) {
    sendRequest(new ReadRequest(file, mode, options));
    Received first = expect(5000);
    int tid = first.port();
    int blksize = TransferOptions.DEFAULT_BLKSIZE;
    int windowsize = 1;
    Optional<OptionAck> oack = Optional.empty();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TftpPacket packet = first.packet();
    if (packet instanceof ErrorPacket error) {
      throw new TftpError(error);
    }
    if (packet instanceof OptionAck o) {
      oack = Optional.of(o);
      blksize = o.options().blksize().orElse(blksize);
      windowsize = o.options().windowsize().orElse(windowsize);
      send(new Ack(0), tid);
      packet = null;
    }
    long lastInOrder = 0;
    int inWindow = 0;
    while (true) {
      if (packet == null) {
        Optional<Received> next = receive(2000);
        if (next.isEmpty()) {
          send(new Ack((int) (lastInOrder & 0xFFFF)), tid);
          inWindow = 0;
          continue;
        }
        if (next.get().port() != tid) {
          throw new AssertionError("packet from port " + next.get().port() + ", TID is " + tid);
        }
        packet = next.get().packet();
      }
      if (packet instanceof ErrorPacket error) {
        throw new TftpError(error);
      }
      if (!(packet instanceof Data data)) {
        throw new AssertionError("expected DATA, got " + packet);
      }
      packet = null;
      if (data.block() != ((lastInOrder + 1) & 0xFFFF)) {
        send(new Ack((int) (lastInOrder & 0xFFFF)), tid);
        inWindow = 0;
        continue;
      }
      lastInOrder++;
      out.writeBytes(data.payload());
      inWindow++;
      if (data.length() < blksize) {
        send(new Ack(data.block()), tid);
        return new Download(out.toByteArray(), tid, oack);
      }
      if (inWindow == windowsize) {
        send(new Ack(data.block()), tid);
        inWindow = 0;
      }
    }
  }

  @Override
  public void close() {
    socket.close();
  }

  /** The server answered with ERROR. */
  static final class TftpError extends RuntimeException {
    final ErrorPacket error;

    TftpError(ErrorPacket error) {
      super("ERROR " + error.code() + ": " + error.message());
      this.error = error;
    }
  }
}
