package io.boottorrent.dhcp;

import io.boottorrent.dhcp.protocol.ClientArch;

/**
 * What a network-booting client is told to load.
 *
 * @param arch the client's architecture (option 93, or the "Arch:" part of its vendor class)
 * @param kind how the client boots, which decides the form of {@code bootFile}
 * @param bootFile a TFTP path (firmware PXE) or a URL (UEFI HTTP boot, iPXE)
 */
public record BootChoice(ClientArch arch, Kind kind, String bootFile) {

  public enum Kind {
    /** Firmware PXE: TFTP from next-server, usually an iPXE binary. */
    PXE,
    /** UEFI HTTP boot: the boot file is a URL, vendor class "HTTPClient". */
    HTTP,
    /** iPXE (chainloaded or built in): gets the boot script URL, never the iPXE binary again. */
    IPXE
  }

  /** "bios", "efi64", "arm64", "http"…, for boot events. */
  public String archName() {
    return arch.shortName();
  }
}
