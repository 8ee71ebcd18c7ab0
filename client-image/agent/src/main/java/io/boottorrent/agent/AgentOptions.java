package io.boottorrent.agent;

import io.boottorrent.agent.launch.Launchers;
import io.boottorrent.core.MacAddress;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.core.config.ConfigSection;
import io.boottorrent.core.trust.CertificatePin;
import io.boottorrent.core.trust.TrustedKeys;
import io.boottorrent.swarm.PieceStripe;
import io.vertx.core.json.JsonObject;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The agent's settings: the {@code agent} section of the config; its defaults (and what each key
 * means) are in {@code boottorrent-defaults.yaml}.
 *
 * @param catalogCertSha256 with an https {@code catalogUrl}: the only certificate the catalog may have
 * @param mac this machine's identity; empty: the MAC of the first interface that is up ({@link #firstMac})
 * @param pieceStripe the stripe to ask for first ({@code "<index>/<count>"}); empty or {@code off}:
 *     rarest first
 * @param trustedKeys the keys image manifests must be signed by; none: signatures are not checked
 * @param catalogRetrySeconds how long the assignment, manifest and .torrent requests are retried while
 *     the catalog is unreachable or answers 5xx
 * @param prefetch start downloading the menu's default image while the menu is shown
 * @param seedWhileRunning the qemu and exec launchers: launch at once, and seed while the OS runs
 * @param seedWhileRunningLimit upload bytes/s while the launched OS runs; 0: unlimited
 * @param streaming whether a qemu image's OS starts on an NBD export of the image while it downloads
 * @param streamingMinBytes with {@code streaming: auto}, the smallest image that streams
 * @param streamingQuietMs a streaming image's background download waits until the guest's reads pause
 *     this long (and is held again by a read that misses a piece, for its first minute); 0: no hold
 * @param niceWhileRunning the agent's own CPU priority (nice) once the OS it launched with qemu or exec
 *     runs beside it: the guest's boot comes first; 0: unchanged
 * @param bootProfile a streaming boot's use of the image's boot profile (the pieces an earlier boot of
 *     it read first): {@code on} asks for them from the add and records one when the catalog has none,
 *     {@code record} only records, {@code off} neither
 */
public record AgentOptions(
    String catalogUrl,
    Optional<CertificatePin> catalogCertSha256,
    int catalogRetrySeconds,
    Optional<MacAddress> mac,
    Path workDir,
    String launcher,
    QemuAccel qemuAccel,
    String image,
    boolean interactive,
    int seedSeconds,
    boolean seedUntilAllSeeds,
    int seedUntilSwarmSeeds,
    int webSeedFallbackSeconds,
    long webSeedMinRate,
    String listenHost,
    int listenPort,
    long uploadLimit,
    long downloadLimit,
    long progressIntervalMs,
    boolean lsd,
    int requestQueueSeconds,
    Optional<PieceStripe> pieceStripe,
    String startGate,
    TrustedKeys trustedKeys,
    boolean prefetch,
    boolean seedWhileRunning,
    long seedWhileRunningLimit,
    Streaming streaming,
    long streamingMinBytes,
    long streamingQuietMs,
    int niceWhileRunning,
    BootProfile bootProfile) {

  /** What a streaming boot does with the image's boot profile (see {@link AgentOptions}). */
  public enum BootProfile {
    ON, RECORD, OFF;

    /** Whether the agent asks the catalog for the profile and prefetches its pieces. */
    public boolean uses() {
      return this == ON;
    }

    /** Whether the agent may post the profile its own boot recorded. */
    public boolean records() {
      return this != OFF;
    }
  }

  /** Streaming boot of qemu images: {@code auto} from {@link #streamingMinBytes} bytes on. */
  public enum Streaming { AUTO, ON, OFF }

  /** The qemu launcher's accelerator: KVM when /dev/kvm exists ({@code auto}), or as configured. */
  public enum QemuAccel { AUTO, KVM, TCG }

  private static final List<String> LAUNCHERS =
      List.of(Launchers.AUTO, Launchers.NONE, Launchers.KEXEC, Launchers.QEMU, Launchers.EXEC);

  /**
   * @throws ConfigException for a missing, unknown, ill-typed or out-of-range key, naming it and the value
   */
  public static AgentOptions fromSection(JsonObject json) {
    return ConfigSection.read("agent", json, s -> new AgentOptions(
        catalogUrl(s),
        catalogCert(s),
        s.integer("catalogRetrySeconds", 0, 86_400),
        s.parsed("mac", MacAddress::parse),
        Path.of(s.nonBlank("workDir")).toAbsolutePath().normalize(),
        launcher(s),
        s.enumValue("qemuAccel", QemuAccel.class),
        s.string("image"),
        s.bool("interactive"),
        s.integer("seedSeconds", 0, Integer.MAX_VALUE),
        s.bool("seedUntilAllSeeds"),
        s.integer("seedUntilSwarmSeeds", 0, Integer.MAX_VALUE),
        s.integer("webSeedFallbackSeconds", 0, Integer.MAX_VALUE),
        s.longValue("webSeedMinRate", 0, Long.MAX_VALUE),
        s.nonBlank("listenHost"),
        s.port("listenPort"),
        s.longValue("uploadLimit", 0, Long.MAX_VALUE),
        s.longValue("downloadLimit", 0, Long.MAX_VALUE),
        s.longValue("progressIntervalMs", 1, Long.MAX_VALUE),
        s.bool("lsd"),
        s.integer("requestQueueSeconds", 0, Integer.MAX_VALUE),
        s.parsed("pieceStripe", PieceStripe::parse),
        s.string("startGate"),
        trustedKeys(s),
        s.bool("prefetch"),
        s.bool("seedWhileRunning"),
        s.longValue("seedWhileRunningLimit", 0, Long.MAX_VALUE),
        s.enumValue("streaming", Streaming.class),
        s.longValue("streamingMinBytes", 0, Long.MAX_VALUE),
        s.longValue("streamingQuietMs", 0, 3_600_000),
        s.integer("niceWhileRunning", 0, 19),
        s.enumValue("bootProfile", BootProfile.class)));
  }

  /** Whether the qemu launcher uses KVM: {@code auto} asks whether {@code /dev/kvm} exists (a file check: call off the event loop). */
  public boolean qemuUsesKvm() {
    return switch (qemuAccel) {
      case KVM -> true;
      case TCG -> false;
      case AUTO -> Files.exists(Path.of("/dev/kvm"));
    };
  }

  /** When to stop seeding and launch. */
  public SeedingPolicy seeding() {
    return new SeedingPolicy(seedSeconds, seedUntilAllSeeds, seedUntilSwarmSeeds);
  }

  /**
   * Whether {@code launcher} (a resolved one) leaves this agent running as the launched OS's parent
   * and agent.seedWhileRunning says to keep seeding meanwhile: then the seeding stage before the
   * launch is skipped (the agent seeds for as long as the OS runs instead).
   */
  public boolean seedsWhileRunning(String launcher) {
    return seedWhileRunning && (launcher.equals(Launchers.QEMU) || launcher.equals(Launchers.EXEC));
  }

  /**
   * Whether an image with this (resolved) launcher and size boots while it downloads: only qemu
   * images (the agent stays QEMU's parent and serves it the disk). This machine's agent.streaming on
   * or off decides; with {@code auto} the image's own setting (the manifest's {@code streaming}), and
   * with that on auto too, the size: from {@code streamingMinBytes} on, where waiting costs the most.
   */
  public boolean streams(String launcher, io.boottorrent.proto.ImageManifest image) {
    if (!launcher.equals(Launchers.QEMU)) {
      return false;
    }
    return switch (streaming) {
      case ON -> true;
      case OFF -> false;
      case AUTO -> switch (image.getStreaming()) {
        case STREAMING_ON -> true;
        case STREAMING_OFF -> false;
        default -> image.getTotalSize() >= streamingMinBytes;
      };
    };
  }

  /** When to add the catalog's web seed. */
  public WebSeedFallback webSeedFallback() {
    return new WebSeedFallback(webSeedFallbackSeconds, webSeedMinRate);
  }

  private static String catalogUrl(ConfigSection s) {
    String url = s.nonBlank("catalogUrl");
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(s.keyOf("catalogUrl"), "not a URL: \"" + url + "\"");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigException(s.keyOf("catalogUrl"), "expected http://host:port, got \"" + url + "\"");
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** Read after catalogUrl: a pin for a plain-http URL is a mistake (it would protect nothing). */
  private static Optional<CertificatePin> catalogCert(ConfigSection s) {
    String spec = s.string("catalogCertSha256");
    Optional<CertificatePin> pin;
    try {
      pin = CertificatePin.parse(spec);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(s.keyOf("catalogCertSha256"), e.getMessage());
    }
    String url = s.string("catalogUrl");
    if (pin.isPresent() && !url.startsWith("https://")) {
      throw new ConfigException(s.keyOf("catalogCertSha256"), "set to " + pin.get().sha256() + ", but "
          + s.keyOf("catalogUrl") + " is \"" + url + "\": a certificate pin needs an https:// catalog URL");
    }
    return pin;
  }

  private static TrustedKeys trustedKeys(ConfigSection s) {
    try {
      return TrustedKeys.parse(s.string("trustedKeys"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(s.keyOf("trustedKeys"), e.getMessage());
    }
  }

  private static String launcher(ConfigSection s) {
    String name = s.string("launcher").toLowerCase(java.util.Locale.ROOT);
    if (!LAUNCHERS.contains(name)) {
      throw new ConfigException(s.keyOf("launcher"), "expected one of " + String.join(", ", LAUNCHERS)
          + ", got \"" + name + "\"");
    }
    return name;
  }

  /** The MAC of the first interface that is up, not loopback and has one. */
  public static MacAddress firstMac() {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        byte[] hw = nic.getHardwareAddress();
        if (nic.isUp() && !nic.isLoopback() && hw != null && hw.length == 6) {
          return MacAddress.of(hw);
        }
      }
    } catch (SocketException e) {
      throw new IllegalStateException("cannot list network interfaces: " + e.getMessage(), e);
    }
    throw new IllegalStateException("no network interface with a MAC address; set agent.mac");
  }
}
