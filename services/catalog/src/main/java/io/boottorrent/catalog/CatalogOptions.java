package io.boottorrent.catalog;

import io.boottorrent.core.config.ConfigRecords;
import io.boottorrent.core.config.Max;
import io.boottorrent.core.config.Min;
import io.boottorrent.core.config.NonBlank;
import io.boottorrent.core.config.Port;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The {@code catalog} section of the config; its defaults are in {@code boottorrent-defaults.yaml}.
 *
 * @param httpPort plain HTTP: everything, or with TLS only {@code /boot/} and {@code /seed/}
 * @param httpsPort with TLS: the whole API
 * @param tlsCert with {@code tlsKey}: the API over TLS ({@link #tls()}); empty: plain HTTP only
 * @param importRoots folders {@code image add} may import from; empty: {@code <dataDir>/import}
 * @param trackers announce URLs for new torrents as configured; empty: this deployment's tracker (the
 *     process assembly resolves it, see {@code ServiceLinks.announceUrls})
 * @param webSeed add the catalog's own file server as a BEP 19 web seed to new torrents
 * @param uploadLimit bytes per second each of the catalog's HTTP servers sends at most (web seed,
 *     {@code /boot/} files, API together); 0: no limit
 * @param pieceLength 0: chosen from the image size
 * @param clientImageDir where {@code /boot/vmlinuz} and {@code /boot/initrd} come from; empty:
 *     {@code <dataDir>/client-image}
 * @param bootFallbackRoots other boot files ({@code snponly.efi}, …) are also looked up here
 * @param clientCmdline appended to the client kernel's command line
 * @param signing sign manifests and boot tickets with the key ring ({@link SigningKeys})
 * @param keyOverlapDays how long a rotated-out key goes on signing beside the new one
 * @param pinKeysOnCmdline put {@code boottorrent.keys=<fingerprints>} into the iPXE script's command line
 * @param pinCertOnCmdline with TLS, put {@code boottorrent.catalog_cert=<SHA-256>} into the iPXE script's command line
 * @param maxImages … {@code diskQuotaBytes}: {@link ImageStore.Limits}, enforced whatever the caller's token
 * @param eventRatePerSource boot events per second one source address may post, on average
 * @param eventBurstPerSource ... and at once
 * @param eventMacBindingSeconds how long a MAC's events are taken only from the address that sent its last ones
 * @param maxEventBytes the largest boot-event body (JSON or protobuf) accepted; beyond: 413
 * @param eventBytesPerSecondPerSource boot-event body bytes per second one source address may post, on average
 * @param eventBytesBurstPerSource ... and at once (at least maxEventBytes, so that one largest event can pass)
 * @param autoStripes number the machines assigned each image in a storm (BootAssignment arrival), so
 *     that each asks the seeder for a different nested piece stripe first (StormArrivals)
 * @param stormWindowSeconds a storm of an image ends when no machine was assigned it for this long
 * @param importWorkers threads of the pool that runs {@code image add} (copy, hash, torrent), apart from
 *     the one for the catalog's other disk work, so that policy writes never wait behind imports
 * @param bootProfileMaxPieces the most pieces a posted boot profile may name ({@code POST
 *     /api/v1/images/{name}/boot-profile}; beyond: 400): what one host on the boot network can make later
 *     machines ask for first
 */
public record CatalogOptions(
    @Port int httpPort,
    @NonBlank String host,
    @Port int httpsPort,
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    List<Path> importRoots,
    List<String> trackers,
    boolean webSeed,
    @Min(0) long uploadLimit,
    @Max(ImageStore.MAX_PIECE_LENGTH) int pieceLength,
    int defaultMenuTimeoutSeconds,
    Optional<Path> clientImageDir,
    List<Path> bootFallbackRoots,
    String clientCmdline,
    boolean signing,
    @Min(0) int keyOverlapDays,
    boolean pinKeysOnCmdline,
    boolean pinCertOnCmdline,
    @Min(1) int maxImages,
    @Min(0) int maxDescriptionLength,
    @Min(0) int maxCmdlineLength,
    @Min(0) int maxArgs,
    @Min(0) int maxArgLength,
    @Min(0) long diskQuotaBytes,
    @Min(1) int eventRatePerSource,
    @Min(1) int eventBurstPerSource,
    int eventMacBindingSeconds,
    @Min(64) int maxEventBytes,
    @Min(1) int eventBytesPerSecondPerSource,
    @Min(1) int eventBytesBurstPerSource,
    @Min(1) @Max(64) int importWorkers,
    boolean autoStripes,
    @Min(1) @Max(86_400) int stormWindowSeconds,
    @Min(1) @Max(65_536) int bootProfileMaxPieces) {
  /** Path prefix of the BEP 19 web seed. */
  public static final String SEED_PATH = "/seed/";

  public CatalogOptions {
    importRoots = List.copyOf(importRoots);
    trackers = List.copyOf(trackers);
    bootFallbackRoots = List.copyOf(bootFallbackRoots);
    io.boottorrent.server.HttpServers.Tls.of("catalog", tlsCert, tlsKey);
    if (eventBytesBurstPerSource < maxEventBytes) {
      throw new IllegalArgumentException("catalog.eventBytesBurstPerSource: expected at least catalog.maxEventBytes ("
          + maxEventBytes + "), got " + eventBytesBurstPerSource + " (an event that large could never pass)");
    }
    if (pieceLength != 0) {
      ImageStore.checkPieceLength(pieceLength, "catalog.pieceLength");
    }
  }

  /**
   * @throws io.boottorrent.core.config.ConfigException for a missing, unknown or ill-typed key
   * @throws IllegalArgumentException for a piece length that is not a power of two of 16 KiB..16 MiB
   */
  public static CatalogOptions fromSection(JsonObject json) {
    return ConfigRecords.read("catalog", json, CatalogOptions.class);
  }

  /** The API's TLS files, when both {@code tlsCert} and {@code tlsKey} are set. */
  public Optional<io.boottorrent.server.HttpServers.Tls> tls() {
    return io.boottorrent.server.HttpServers.Tls.of("catalog", tlsCert, tlsKey);
  }

  public ImageStore.Limits limits() {
    return new ImageStore.Limits(maxImages, maxDescriptionLength, maxCmdlineLength, maxArgs, maxArgLength,
        diskQuotaBytes);
  }

  /** The folders {@code /boot/<file>} is served from, in order. */
  public List<Path> bootRoots(Path dataDir) {
    return java.util.stream.Stream.concat(
            java.util.stream.Stream.of(clientImageDir.orElse(dataDir.resolve("client-image"))),
            bootFallbackRoots.stream())
        .toList();
  }
}
