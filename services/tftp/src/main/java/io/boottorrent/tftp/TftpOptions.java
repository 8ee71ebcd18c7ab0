package io.boottorrent.tftp;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Max;
import io.boottorrent.core.config.Min;
import io.boottorrent.core.config.NonBlank;
import io.boottorrent.core.config.Port;
import io.boottorrent.tftp.protocol.OptionNegotiation;
import io.boottorrent.tftp.protocol.TransferOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The {@code tftp} section of the config; its defaults are in {@code boottorrent-defaults.yaml}.
 *
 * @param root served read-only; empty: {@code <dataDir>/tftp} ({@link #rootIn})
 * @param fallbackRoots looked up, in order, for files absent from the root
 * @param timeoutMs base retransmission timeout (a client's shorter RFC 2349 {@code timeout} replaces
 *     it); it doubles with every timeout in a row, up to 32x, and resets on progress
 * @param retries retransmissions after consecutive timeouts before a transfer is given up (with the
 *     backoff, the defaults 1000 ms and 5 wait 1+2+4+8+16+32 = 63 s for a silent client)
 * @param maxBlksize ceiling for RFC 2348 {@code blksize} (8..65464)
 * @param maxWindowsize ceiling for RFC 7440 {@code windowsize} (1..65535)
 * @param congestionControl after a loss, send each window in bursts that halve on loss and grow back
 *     ({@link io.boottorrent.tftp.protocol.CongestionWindow}); false: every window in one burst
 * @param transferLoops event loops that run the transfers, each taking every n-th request; 0 means
 *     one per core ({@link #effectiveTransferLoops()})
 * @param maxTransfers read transfers running at once (each holds a socket and a file); a request
 *     beyond it gets ERROR 0 from the request port ({@link TransferCaps})
 * @param maxTransfersPerClient read transfers running at once for one client address
 * @param secureBootChain serve Debian's signed shim and GRUB ({@code shimx64.efi}, {@code grubx64.efi})
 *     and the catalog's GRUB config ({@code grub.cfg}) when no root has those names
 */
public record TftpOptions(
    @NonBlank String bindHost,
    @Port int port,
    Optional<Path> root,
    List<Path> fallbackRoots,
    @Min(1) int timeoutMs,
    int retries,
    @Min(TransferOptions.MIN_BLKSIZE) @Max(TransferOptions.MAX_BLKSIZE) int maxBlksize,
    @Min(TransferOptions.MIN_WINDOWSIZE) @Max(TransferOptions.MAX_WINDOWSIZE) int maxWindowsize,
    boolean congestionControl,
    @Max(1024) int transferLoops,
    @Min(1) int maxTransfers,
    @Min(1) int maxTransfersPerClient,
    boolean secureBootChain) {
  /** Subfolder of {@code dataDir} served when {@code tftp.root} is empty. */
  public static final String DATA_DIR_SUBFOLDER = "tftp";

  public TftpOptions {
    require(bindHost != null && !bindHost.isBlank(), "tftp.bindHost must not be empty");
    require(port >= 0 && port <= 65535, "tftp.port must be 0..65535, got " + port);
    fallbackRoots = List.copyOf(fallbackRoots);
    require(timeoutMs >= 1, "tftp.timeoutMs must be at least 1, got " + timeoutMs);
    require(retries >= 0, "tftp.retries must not be negative, got " + retries);
    require(transferLoops >= 0 && transferLoops <= 1024, "tftp.transferLoops must be 0..1024, got " + transferLoops);
    require(maxTransfers >= 1, "tftp.maxTransfers must be at least 1, got " + maxTransfers);
    require(maxTransfersPerClient >= 1, "tftp.maxTransfersPerClient must be at least 1, got " + maxTransfersPerClient);
    new OptionNegotiation.Limits(maxBlksize, maxWindowsize); // range checks with RFC bounds in the message
  }

  /**
   * @throws io.boottorrent.core.config.ConfigException for a missing, unknown or ill-typed key
   * @throws IllegalArgumentException for values out of range
   */
  public static TftpOptions fromSection(JsonObject json) {
    return ConfigRecords.read("tftp", json, TftpOptions.class);
  }

  /** The folder served: {@code tftp.root}, or {@code <dataDir>/tftp} when that is empty. */
  public Path rootIn(Path dataDir) {
    return root.orElseGet(() -> dataDir.toAbsolutePath().normalize().resolve(DATA_DIR_SUBFOLDER));
  }

  /** {@code transferLoops}, with 0 replaced by the number of cores. */
  public int effectiveTransferLoops() {
    return transferLoops > 0 ? transferLoops : Runtime.getRuntime().availableProcessors();
  }

  public OptionNegotiation.Limits limits() {
    return new OptionNegotiation.Limits(maxBlksize, maxWindowsize);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
