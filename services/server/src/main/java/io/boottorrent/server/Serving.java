package io.boottorrent.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * What a service verticle tells {@link HealthServer} it needs to serve, so that /health can check it
 * from outside: the TCP sockets it accepts connections on, and the directories it writes its state
 * to. Called from the health server's own thread: implementations only read volatile state.
 */
public interface Serving {
  /**
   * Where this service accepts TCP connections now (the wildcard address: any local one; best unresolved,
   * {@link InetSocketAddress#createUnresolved}); empty before it listens.
   */
  List<InetSocketAddress> listening();

  /** Directories this service must be able to create files in. */
  List<Path> writableDirs();
}
