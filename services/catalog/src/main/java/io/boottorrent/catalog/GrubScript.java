package io.boottorrent.catalog;

import io.boottorrent.core.MacAddress;

/**
 * The GRUB config that boots a machine into the client image on the Secure Boot path: firmware →
 * Debian's signed shim → Debian's signed GRUB → this config → the client image's kernel and initrd, all
 * over our TFTP (Debian's signed network GRUB has no HTTP module, and under Secure Boot it loads no
 * module it does not carry). GRUB has shim verify the kernel (Debian's kernel is signed by Debian's
 * key, which shim trusts) before it runs it. The initrd is not verified by Secure Boot; the agent's
 * manifest signature covers what it launches. Pure: the TFTP service serves it as {@code grub.cfg}
 * (asking the catalog on {@code catalog.boot.script}), and {@link BootHttp} at {@code /boot/grub.cfg}.
 */
public final class GrubScript {
  private GrubScript() {}

  /**
   * @param baseUrl the catalog's URL as machines reach it, {@code http://host:port} (for the agent)
   * @param mac the machine's MAC; anything that is not one makes GRUB fill in {@code $net_default_mac}
   * @param extraCmdline appended to the client kernel's command line
   * @param clientImageReady false: the config explains on the console what is missing
   */
  public static String render(String baseUrl, String mac, String extraCmdline, boolean clientImageReady) {
    return render(baseUrl, baseUrl, mac, extraCmdline, clientImageReady);
  }

  /**
   * As {@link #render(String, String, String, boolean)}, the agent told {@code catalogUrl} (the API,
   * https with TLS); {@code baseUrl} is not used: GRUB loads everything over TFTP.
   */
  public static String render(String baseUrl, String catalogUrl, String mac, String extraCmdline,
      boolean clientImageReady) {
    String who = MacAddress.tryParse(mac).map(MacAddress::canonical).orElse("${net_default_mac}");
    StringBuilder s = new StringBuilder("# BootTorrent: the client image for ").append(who).append('\n');
    if (!clientImageReady) {
      return s.append("echo \"BootTorrent: the client image is not built on the server (run make client-image); "
              + "retrying in 30 s\"\nsleep 30\nreboot\n").toString();
    }
    String cmdline = "boottorrent.catalog=" + catalogUrl + " boottorrent.mac=" + who
        + (extraCmdline == null || extraCmdline.isBlank() ? "" : " " + extraCmdline.trim());
    // on GRUB's root device: the TFTP server it was loaded from
    String kernel = "/vmlinuz";
    String initrd = "/initrd";
    return s.append("echo \"BootTorrent: loading the client image for ").append(who).append("\"\n")
        // With Secure Boot on, GRUB (shim_lock) refuses a kernel shim cannot verify: the error shows here
        .append("if ! linux ").append(kernel).append(' ').append(cmdline).append("; then\n")
        .append(retry("could not load (or Secure Boot did not verify) the client kernel /vmlinuz over TFTP"))
        .append("if ! initrd ").append(initrd).append("; then\n")
        .append(retry("could not load the client initrd /initrd over TFTP"))
        .append("boot\n")
        .toString();
  }

  private static String retry(String what) {
    return "  echo \"BootTorrent: " + what + "; retrying in 10 s\"\n  sleep 10\n  reboot\nfi\n";
  }
}
