package io.boottorrent.agent;

import java.nio.file.Path;
import java.util.Map;

/** What one agent run achieved, for the CLI, `make run` and the tests. */
public record AgentResult(
    String image,
    String infoHash,
    Path imageDir,
    long bytesTotal,
    Map<String, Long> bytesFromPeers,
    long bytesFromWebSeed,
    long bytesUploaded,
    long downloadMillis,
    String launcher,
    int exitCode) {

  /** Payload bytes received from other BitTorrent peers (not from web seeds). */
  public long bytesFromSwarm() {
    return bytesFromPeers.entrySet().stream()
        .filter(e -> !e.getKey().startsWith("web:"))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }
}
