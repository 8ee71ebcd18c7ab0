package io.boottorrent.dhcp.protocol;

/**
 * The client system architecture of option 93 (RFC 4578 §2.1 and the IANA "Processor Architecture
 * Types" registry), with the short name this project uses in boot events and as the key of the
 * boot file ({@code dhcp.bootFiles}).
 */
public record ClientArch(int code) {
  public static final ClientArch BIOS = new ClientArch(0);
  public static final ClientArch EFI_IA32 = new ClientArch(6);
  public static final ClientArch EFI_BC = new ClientArch(7);
  public static final ClientArch EFI_X86_64 = new ClientArch(9);
  public static final ClientArch EFI_ARM32 = new ClientArch(10);
  public static final ClientArch EFI_ARM64 = new ClientArch(11);
  public static final ClientArch HTTP_IA32 = new ClientArch(15);
  public static final ClientArch HTTP_X64 = new ClientArch(16);
  public static final ClientArch HTTP_ARM32 = new ClientArch(18);
  public static final ClientArch HTTP_ARM64 = new ClientArch(19);

  public ClientArch {
    if (code < 0 || code > 0xFFFF) {
      throw new IllegalArgumentException("architecture code must be 0..65535: " + code);
    }
  }

  /** "bios", "efi32", "efi64", "arm32", "arm64", "http", "http-efi32", "http-arm32", "http-arm64", or "arch-N". */
  public String shortName() {
    return switch (code) {
      case 0 -> "bios";
      case 6 -> "efi32";
      case 7, 9 -> "efi64";
      case 10 -> "arm32";
      case 11 -> "arm64";
      case 15 -> "http-efi32";
      case 16 -> "http";
      case 18 -> "http-arm32";
      case 19 -> "http-arm64";
      default -> "arch-" + code;
    };
  }

  /** UEFI HTTP boot (the client expects a URL as boot file and vendor class "HTTPClient"). */
  public boolean isHttpBoot() {
    return code == 15 || code == 16 || code == 18 || code == 19;
  }

  @Override
  public String toString() {
    return shortName() + "(" + code + ")";
  }
}
