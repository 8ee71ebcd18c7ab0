package io.boottorrent.telemetry;

import io.boottorrent.proto.BootPhase;
import io.boottorrent.proto.BootStage;
import java.util.Optional;

/**
 * Which {@link BootPhase} each {@link BootStage} belongs to. A phase starts at the first event of one
 * of its stages and lasts until the next phase starts:
 *
 * <pre>
 * DHCP          DHCP_LEASE, PXE_OFFER
 * BOOT_FILES    TFTP_TRANSFER, HTTP_BOOT_FILE   (until the agent starts: firmware, iPXE, kernel, /init)
 * AGENT_START   AGENT_STARTED
 * MENU          MENU_SHOWN, IMAGE_CHOSEN
 * DOWNLOAD      DOWNLOAD_STARTED, DOWNLOAD_PROGRESS, PEER_BANNED, STREAM_STARTED
 * VERIFY        DOWNLOAD_COMPLETE               (until VERIFIED)
 * SEEDING       VERIFIED, SEEDING_DONE
 * LAUNCH        LAUNCHING
 * </pre>
 *
 * FAILED belongs to no phase: it ends the phase the boot was in.
 */
public final class BootPhases {
  private BootPhases() {}

  public static Optional<BootPhase> of(BootStage stage) {
    return Optional.ofNullable(switch (stage) {
      case DHCP_LEASE, PXE_OFFER -> BootPhase.PHASE_DHCP;
      case TFTP_TRANSFER, HTTP_BOOT_FILE -> BootPhase.PHASE_BOOT_FILES;
      case AGENT_STARTED -> BootPhase.PHASE_AGENT_START;
      case MENU_SHOWN, IMAGE_CHOSEN -> BootPhase.PHASE_MENU;
      case DOWNLOAD_STARTED, DOWNLOAD_PROGRESS, PEER_BANNED, STREAM_STARTED -> BootPhase.PHASE_DOWNLOAD;
      case DOWNLOAD_COMPLETE -> BootPhase.PHASE_VERIFY;
      case VERIFIED, SEEDING_DONE -> BootPhase.PHASE_SEEDING;
      case LAUNCHING -> BootPhase.PHASE_LAUNCH;
      default -> null; // FAILED, unspecified, a stage newer than this code
    });
  }

  /** Stages the agent sends (they carry its node id). */
  public static boolean fromAgent(BootStage stage) {
    return switch (stage) {
      case AGENT_STARTED, MENU_SHOWN, IMAGE_CHOSEN, DOWNLOAD_STARTED, DOWNLOAD_PROGRESS, PEER_BANNED, STREAM_STARTED,
          DOWNLOAD_COMPLETE, VERIFIED, SEEDING_DONE, LAUNCHING, FAILED -> true;
      default -> false;
    };
  }

  /** Stages that only a machine going through the PXE front door produces. */
  public static boolean pxeFrontDoor(BootStage stage) {
    return stage == BootStage.PXE_OFFER || stage == BootStage.TFTP_TRANSFER || stage == BootStage.HTTP_BOOT_FILE;
  }
}
