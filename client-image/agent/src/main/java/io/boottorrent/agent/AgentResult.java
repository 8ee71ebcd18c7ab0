package io.boottorrent.agent;

import io.boottorrent.core.PeerSource;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one agent run achieved, for the CLI, `make run` and the tests.
 *
 * @param sources payload bytes received per peer and per web seed
 */
public record AgentResult(
    String image,
    String infoHash,
    Path imageDir,
    long bytesTotal,
    Map<PeerSource, Long> sources,
    long bytesUploaded,
    long downloadMillis,
    String launcher,
    int exitCode) {

  public AgentResult {
    sources = Collections.unmodifiableMap(new TreeMap<>(sources));
  }

  /** Payload bytes received from other BitTorrent peers (not from web seeds). */
  public long bytesFromSwarm() {
    return sources.entrySet().stream().filter(e -> !e.getKey().isWebSeed()).mapToLong(Map.Entry::getValue).sum();
  }

  /** Payload bytes received from HTTP web seeds. */
  public long bytesFromWebSeed() {
    return webSeedBytes(sources);
  }

  static long webSeedBytes(Map<PeerSource, Long> sources) {
    return sources.entrySet().stream().filter(e -> e.getKey().isWebSeed()).mapToLong(Map.Entry::getValue).sum();
  }
}
