package io.boottorrent.tftp;

import io.boottorrent.common.BtConfig;
import io.boottorrent.tftp.protocol.OptionNegotiation;
import io.boottorrent.tftp.protocol.TransferOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code tftp:} section of the config (see {@code boottorrent-defaults.yaml}) plus the top-level
 * {@code dataDir}. Missing keys take the {@code DEFAULT_*} values, which match the embedded defaults.
 *
 * @param root served read-only; an empty {@code tftp.root} means {@code <dataDir>/tftp}
 * @param fallbackRoots looked up, in order, for files absent from {@code root}
 * @param timeoutMs base retransmission timeout (a client's shorter RFC 2349 {@code timeout} replaces
 *     it); it doubles with every timeout in a row, up to 32x, and resets on progress
 * @param retries retransmissions after consecutive timeouts before a transfer is given up (with the
 *     backoff, the defaults 1000 ms and 5 wait 1+2+4+8+16+32 = 63 s for a silent client)
 * @param maxBlksize ceiling for RFC 2348 {@code blksize} (8..65464)
 * @param maxWindowsize ceiling for RFC 7440 {@code windowsize} (1..65535)
 * @param transferLoops event loops that run the transfers, each taking every n-th request; 0 (the
 *     default) means one per core ({@link #effectiveTransferLoops()}). Not in the embedded defaults
 *     file: an absent key means 0.
 */
public record TftpOptions(
    String bindHost,
    int port,
    Path root,
    List<Path> fallbackRoots,
    int timeoutMs,
    int retries,
    int maxBlksize,
    int maxWindowsize,
    int transferLoops) {
  public static final String DEFAULT_BIND_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 69;
  public static final List<String> DEFAULT_FALLBACK_ROOTS = List.of("/usr/lib/ipxe");
  public static final int DEFAULT_TIMEOUT_MS = 1000;
  public static final int DEFAULT_RETRIES = 5;
  public static final int DEFAULT_MAX_BLKSIZE = TransferOptions.MAX_BLKSIZE;
  public static final int DEFAULT_MAX_WINDOWSIZE = 64;
  /** One transfer loop per core. */
  public static final int DEFAULT_TRANSFER_LOOPS = 0;
  /** Subfolder of {@code dataDir} served when {@code tftp.root} is empty. */
  public static final String DATA_DIR_SUBFOLDER = "tftp";

  public TftpOptions {
    require(bindHost != null && !bindHost.isBlank(), "tftp.bindHost must not be empty");
    require(port >= 0 && port <= 65535, "tftp.port must be 0..65535");
    require(root != null, "tftp.root must be set");
    fallbackRoots = List.copyOf(fallbackRoots);
    require(timeoutMs >= 1, "tftp.timeoutMs must be at least 1");
    require(retries >= 0, "tftp.retries must not be negative");
    require(transferLoops >= 0 && transferLoops <= 1024, "tftp.transferLoops must be 0..1024");
    new OptionNegotiation.Limits(maxBlksize, maxWindowsize); // range checks with RFC bounds in the message
  }

  /**
   * Reads the whole config tree a verticle receives.
   *
   * @throws IllegalArgumentException for out-of-range values or values of the wrong type
   */
  public static TftpOptions fromConfig(JsonObject config) {
    JsonObject tftp = BtConfig.section(config, "tftp");
    try {
      String root = tftp.getString("root", "");
      JsonArray fallbacks = tftp.getJsonArray("fallbackRoots", new JsonArray(DEFAULT_FALLBACK_ROOTS));
      return new TftpOptions(
          tftp.getString("bindHost", DEFAULT_BIND_HOST),
          tftp.getInteger("port", DEFAULT_PORT),
          root.isBlank()
              ? BtConfig.dataDir(config).resolve(DATA_DIR_SUBFOLDER)
              : Path.of(root).toAbsolutePath().normalize(),
          fallbacks.stream()
              .map(String::valueOf)
              .filter(s -> !s.isBlank())
              .map(s -> Path.of(s).toAbsolutePath().normalize())
              .toList(),
          tftp.getInteger("timeoutMs", DEFAULT_TIMEOUT_MS),
          tftp.getInteger("retries", DEFAULT_RETRIES),
          tftp.getInteger("maxBlksize", DEFAULT_MAX_BLKSIZE),
          tftp.getInteger("maxWindowsize", DEFAULT_MAX_WINDOWSIZE),
          tftp.getInteger("transferLoops", DEFAULT_TRANSFER_LOOPS));
    } catch (ClassCastException wrongType) {
      throw new IllegalArgumentException("tftp section: " + wrongType.getMessage(), wrongType);
    }
  }

  /** {@code transferLoops}, with 0 replaced by the number of cores. */
  public int effectiveTransferLoops() {
    return transferLoops > 0 ? transferLoops : Runtime.getRuntime().availableProcessors();
  }

  public OptionNegotiation.Limits limits() {
    return new OptionNegotiation.Limits(maxBlksize, maxWindowsize);
  }

  /** The {@code tftp:} section these options come from (root as an absolute path). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("bindHost", bindHost)
        .put("port", port)
        .put("root", root.toString())
        .put("fallbackRoots", new JsonArray(fallbackRoots.stream().map(Path::toString).toList()))
        .put("timeoutMs", timeoutMs)
        .put("retries", retries)
        .put("maxBlksize", maxBlksize)
        .put("maxWindowsize", maxWindowsize)
        .put("transferLoops", transferLoops);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
