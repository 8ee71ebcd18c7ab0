package io.boottorrent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Ports for tests on loopback. */
public final class Ports {
  /**
   * Every port handed out in this JVM: the kernel may give the same free port to two calls in a row,
   * and a test that configures two services with them gets one Vert.x server shared by both
   * (DiskFullTest's catalog and telemetry on one port: every other catalog request went to telemetry).
   */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private Ports() {}

  /** A TCP port free on 127.0.0.1 right now, and not returned before in this JVM. */
  public static int freeTcp() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = anyFreeTcp();
      if (HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no TCP port on 127.0.0.1 that this JVM has not handed out yet, in 100 tries");
  }

  private static int anyFreeTcp() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
