package io.boottorrent.testsupport;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM for {@link LossyLinkTest}, run inside a lab namespace: {@code echo <port>} sends every
 * datagram back until its input ends; {@code probe <host> <port> <count>} sends {@code count}
 * numbered datagrams 2 ms apart, collects the echoes for 2 s after the last, and prints
 * {@code SENT <n>}, {@code RECEIVED <n>}, {@code REORDERED <n>} (echoes that came after a later
 * one) and {@code RTT <µs> …} (each echo's round trip).
 */
public final class UdpProbeMain {
  private UdpProbeMain() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("echo")) {
      try (DatagramSocket socket = new DatagramSocket(Integer.parseInt(args[1]))) {
        Thread echo = new Thread(() -> {
          byte[] buffer = new byte[2048];
          while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
              socket.receive(packet);
              socket.send(new DatagramPacket(buffer, packet.getLength(), packet.getSocketAddress()));
            } catch (java.io.IOException e) {
              return;
            }
          }
        });
        echo.setDaemon(true);
        echo.start();
        System.out.println("READY");
        while (System.in.read() >= 0) {
          // until the test closes our input
        }
      }
      return;
    }
    InetSocketAddress to = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
    int count = Integer.parseInt(args[3]);
    long[] sentAt = new long[count];
    List<Long> rtts = new ArrayList<>();
    int[] reordered = {0};
    try (DatagramSocket socket = new DatagramSocket()) {
      Thread receiver = new Thread(() -> {
        byte[] buffer = new byte[2048];
        int highest = -1;
        try {
          socket.setSoTimeout(2000);
          while (true) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            socket.receive(packet);
            long now = System.nanoTime();
            int seq = ByteBuffer.wrap(buffer, 0, 4).getInt();
            synchronized (rtts) {
              rtts.add((now - sentAt[seq]) / 1000);
            }
            if (seq < highest) {
              reordered[0]++;
            }
            highest = Math.max(highest, seq);
          }
        } catch (SocketTimeoutException done) {
          // 2 s without an echo: the rest were lost
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      receiver.start();
      byte[] payload = new byte[200];
      for (int i = 0; i < count; i++) {
        ByteBuffer.wrap(payload).putInt(i);
        sentAt[i] = System.nanoTime();
        socket.send(new DatagramPacket(payload, payload.length, to));
        Thread.sleep(2);
      }
      receiver.join();
    }
    System.out.println("SENT " + count);
    System.out.println("RECEIVED " + rtts.size());
    System.out.println("REORDERED " + reordered[0]);
    StringBuilder line = new StringBuilder("RTT");
    rtts.forEach(r -> line.append(' ').append(r));
    System.out.println(line);
  }
}
