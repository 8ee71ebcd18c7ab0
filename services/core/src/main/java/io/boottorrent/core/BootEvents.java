package io.boottorrent.core;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Every {@link BootEvent} is built here: the shape of each stage's event (which fields it sets, what
 * its message says) is this code, for the agent ({@link Agent}), DHCP, TFTP and HTTP boot alike.
 * Consumers (the event log, telemetry, operators' tools) can rely on it; docs/ARCHITECTURE.md lists
 * the stages.
 */
public final class BootEvents {
  private final Clock clock;

  public BootEvents(Clock clock) {
    this.clock = clock;
  }

  /** Events stamped with the system clock. */
  public static BootEvents system() {
    return new BootEvents(Clock.systemUTC());
  }

  private BootEvent.Builder stage(BootStage stage) {
    return BootEvent.newBuilder().setStage(stage).setTimestampMs(clock.millis());
  }

  // ------------------------------------------------------------------------------------ DHCP

  /*
   * DHCP names a client by its hardware address (chaddr), written lower-case with colons: for
   * Ethernet that is the MAC's canonical form; other link types have other lengths, so it stays text.
   */

  /** An address granted (DHCPACK with {@code yiaddr}). */
  public BootEvent dhcpLease(String hardwareAddress, String ip, String arch, long leaseSeconds) {
    return stage(BootStage.DHCP_LEASE).setMac(hardwareAddress).setIp(ip).setArch(arch)
        .setMessage("lease " + leaseSeconds + " s").build();
  }

  /**
   * Boot information offered to a PXE client: {@code kind} ({@code bootloader}, {@code ipxe},
   * {@code http}) and the boot file; {@code ip} is empty in proxy mode (no address offered).
   */
  public BootEvent pxeOffer(String hardwareAddress, String ip, String arch, String kind, String bootFile) {
    return stage(BootStage.PXE_OFFER).setMac(hardwareAddress).setIp(ip).setArch(arch)
        .setMessage(kind.toLowerCase(Locale.ROOT) + " " + bootFile).build();
  }

  // ------------------------------------------------------------------------------------ TFTP

  /** A file sent whole: {@code "<file> <bytes> bytes in <ms> ms"}. TFTP knows the client's address, not its MAC. */
  public BootEvent tftpSent(String ip, String file, long bytes, long total, long millis) {
    return tftp(ip, file + " " + bytes + " bytes in " + millis + " ms", bytes, total);
  }

  /** Firmware asked for the size only (tsize) and ended the transfer: {@code "<file> size probe…"}. */
  public BootEvent tftpSizeProbe(String ip, String file, String detail, long total) {
    return tftp(ip, file + " " + detail, 0, total);
  }

  /** A transfer refused or given up: {@code "<file> failed: <why>"}. */
  public BootEvent tftpFailed(String ip, String file, String reason, long bytes, long total) {
    return tftp(ip, file + " failed: " + reason, bytes, total);
  }

  private BootEvent tftp(String ip, String message, long bytes, long total) {
    return stage(BootStage.TFTP_TRANSFER).setIp(ip).setMessage(message).setBytesDone(bytes).setBytesTotal(total)
        .build();
  }

  // ------------------------------------------------------------------------------- HTTP boot

  /** The iPXE script served to a machine ({@code ready} false: the client image is missing on the server). */
  public BootEvent httpBootScript(String ip, Optional<MacAddress> mac, boolean ready, long bytes) {
    return httpBootScript("ipxe script", ip, mac, ready, bytes);
  }

  /** A boot script ({@code "ipxe script"}, {@code "grub config"}) served to a machine. */
  public BootEvent httpBootScript(String what, String ip, Optional<MacAddress> mac, boolean ready, long bytes) {
    return httpBoot(ip, mac, what + (ready ? "" : " (client image missing)"), bytes);
  }

  /** A boot file sent over HTTP: {@code "<file> <bytes> bytes in <ms> ms"}. */
  public BootEvent httpBootFileSent(String ip, Optional<MacAddress> mac, String file, long bytes, long millis) {
    return httpBoot(ip, mac, file + " " + bytes + " bytes in " + millis + " ms", bytes);
  }

  /** A boot file whose sending broke off: {@code "<file> failed after <bytes> bytes: <why>"}. */
  public BootEvent httpBootFileFailed(String ip, Optional<MacAddress> mac, String file, long bytes, String reason) {
    return httpBoot(ip, mac, file + " failed after " + bytes + " bytes: " + reason, bytes);
  }

  private BootEvent httpBoot(String ip, Optional<MacAddress> mac, String message, long bytes) {
    BootEvent.Builder b = stage(BootStage.HTTP_BOOT_FILE).setMessage(message).setBytesDone(bytes).setBytesTotal(bytes);
    if (ip != null) {
      b.setIp(ip);
    }
    mac.ifPresent(m -> b.setMac(m.canonical()));
    return b.build();
  }

  // ----------------------------------------------------------------------------------- agent

  /** The events of one agent run: every one carries the machine's MAC and the run's node id. */
  public Agent agent(MacAddress mac, String nodeId) {
    return new Agent(mac, nodeId);
  }

  /** The agent's stages, in the order a boot goes through them. */
  public final class Agent {
    private final MacAddress mac;
    private final String nodeId;

    private Agent(MacAddress mac, String nodeId) {
      this.mac = mac;
      this.nodeId = nodeId;
    }

    private BootEvent.Builder base(BootStage stage) {
      return BootEvents.this.stage(stage).setMac(mac.canonical()).setNodeId(nodeId);
    }

    /** With the image's name, info-hash and size, and (when known) its live torrent status. */
    private BootEvent.Builder forImage(BootStage stage, ImageManifest image, TorrentStatus status) {
      BootEvent.Builder b = base(stage).setImage(image.getName()).setInfoHash(image.getInfoHash())
          .setBytesTotal(image.getTotalSize());
      if (status != null) {
        b.setBytesDone((long) (status.getProgress() * image.getTotalSize()))
            .setDownloadRate(status.getDownloadRate())
            .setUploadRate(status.getUploadRate())
            .setPeers(status.getPeers())
            .setBytesUploaded(status.getTotalUploaded());
      }
      return b;
    }

    public BootEvent started() {
      return base(BootStage.AGENT_STARTED).setMessage("agent started").build();
    }

    /** The menu shown: its items and the countdown; {@code selected} is the preselected item. */
    public BootEvent menuShown(String selected, List<String> items, int seconds) {
      return base(BootStage.MENU_SHOWN).setImage(selected).setMessage("menu " + items + ", " + seconds + " s").build();
    }

    /** The image this machine boots, and why: "default", "chosen from the menu", "assigned (…)", … */
    public BootEvent imageChosen(String image, String why) {
      return base(BootStage.IMAGE_CHOSEN).setImage(image).setMessage(why).build();
    }

    /** The torrent is added; {@code detail} says how (listen port, piece stripe). */
    public BootEvent downloadStarted(ImageManifest image, String detail) {
      return forImage(BootStage.DOWNLOAD_STARTED, image, null).setMessage(detail).build();
    }

    public BootEvent downloadProgress(ImageManifest image, TorrentStatus status) {
      return forImage(BootStage.DOWNLOAD_PROGRESS, image, status).build();
    }

    /** Every piece is in; {@code sources} are the payload bytes per peer and web seed. */
    public BootEvent downloadComplete(ImageManifest image, long millis, TorrentStatus status,
        Map<PeerSource, Long> sources) {
      BootEvent.Builder b = forImage(BootStage.DOWNLOAD_COMPLETE, image, status).setMessage("in " + millis + " ms");
      long web = 0;
      for (Map.Entry<PeerSource, Long> e : sources.entrySet()) {
        b.putBytesFromPeers(e.getKey().key(), e.getValue());
        if (e.getKey().isWebSeed()) {
          web += e.getValue();
        }
      }
      return b.setBytesFromWebSeed(web).build();
    }

    /**
     * A peer at {@code address} sent data that failed a hash check and the address is banned (every
     * port) for the rest of the download: {@code "<address> banned: <why>; <n> bytes discarded"}.
     */
    public BootEvent peerBanned(ImageManifest image, String address, long bytesDiscarded, String why) {
      return forImage(BootStage.PEER_BANNED, image, null).setPeer(address).setBytesDiscarded(bytesDiscarded)
          .setMessage(address + " banned: " + why + "; " + bytesDiscarded + " bytes discarded").build();
    }

    /**
     * A qemu image's OS starts on the agent's NBD export ({@code uri}) before the download completed:
     * {@code present} bytes of the image were there.
     */
    public BootEvent streamStarted(ImageManifest image, long present, String uri) {
      return forImage(BootStage.STREAM_STARTED, image, null).setBytesDone(present)
          .setMessage("streaming " + uri + " with " + present + " of " + image.getTotalSize() + " bytes present").build();
    }

    public BootEvent verified(ImageManifest image) {
      return forImage(BootStage.VERIFIED, image, null).setMessage(image.getFilesCount() + " file(s) match").build();
    }

    public BootEvent seedingDone(long uploaded, String why) {
      return base(BootStage.SEEDING_DONE).setBytesUploaded(uploaded)
          .setMessage("uploaded " + uploaded + " bytes to other machines; " + why).build();
    }

    /** The launcher is about to run: {@code plan} describes the command. */
    public BootEvent launching(String image, String launcher, String plan) {
      return base(BootStage.LAUNCHING).setImage(image).setLauncher(launcher).setMessage(plan).build();
    }

    /** The boot failed; {@code image} is empty when it failed before one was chosen. */
    public BootEvent failed(String image, String reason) {
      BootEvent.Builder b = base(BootStage.FAILED).setMessage(reason);
      if (image != null && !image.isEmpty()) {
        b.setImage(image);
      }
      return b.build();
    }
  }
}
