package io.boottorrent.catalog;

import io.boottorrent.core.MacAddress;
import java.net.URI;

/**
 * The GRUB config that boots one machine into the client image on the Secure Boot path: firmware →
 * Debian's signed shim → Debian's signed GRUB (both over our TFTP) → this config over HTTP → the
 * client image's kernel, which GRUB has shim verify (Debian's kernel is signed by Debian's key, which
 * shim trusts) before it runs. The initrd is not verified by Secure Boot; the agent's manifest
 * signature covers what it launches. Pure: {@link BootHttp} serves it at {@code /boot/grub.cfg?mac=…}.
 */
public final class GrubScript {
  private GrubScript() {}

  /**
   * @param baseUrl the catalog's URL as machines reach it, {@code http://host:port}
   * @param mac the machine's MAC; anything that is not one makes GRUB fill in {@code $net_default_mac}
   * @param extraCmdline appended to the client kernel's command line
   * @param clientImageReady false: the config explains on the console what is missing
   */
  public static String render(String baseUrl, String mac, String extraCmdline, boolean clientImageReady) {
    return render(baseUrl, baseUrl, mac, extraCmdline, clientImageReady);
  }

  /** As {@link #render(String, String, String, boolean)}, the agent told {@code catalogUrl} (the API). */
  public static String render(String baseUrl, String catalogUrl, String mac, String extraCmdline,
      boolean clientImageReady) {
    String who = MacAddress.tryParse(mac).map(MacAddress::canonical).orElse("${net_default_mac}");
    StringBuilder s = new StringBuilder("# BootTorrent: the client image for ").append(who).append('\n');
    if (!clientImageReady) {
      return s.append("echo \"BootTorrent: the client image is not built on the server (run make client-image); "
              + "retrying in 30 s\"\nsleep 30\nreboot\n").toString();
    }
    URI uri = URI.create(baseUrl);
    String device = "(http," + uri.getHost() + ":" + (uri.getPort() == -1 ? 80 : uri.getPort()) + ")";
    String cmdline = "boottorrent.catalog=" + catalogUrl + " boottorrent.mac=" + who
        + (extraCmdline == null || extraCmdline.isBlank() ? "" : " " + extraCmdline.trim());
    // quoted: GRUB would take the ? for a wildcard
    String kernel = "\"" + device + "/boot/vmlinuz?mac=" + who + "\"";
    String initrd = "\"" + device + "/boot/initrd?mac=" + who + "\"";
    return s.append("echo \"BootTorrent: loading the client image for ").append(who).append("\"\n")
        // With Secure Boot on, GRUB (shim_lock) refuses a kernel shim cannot verify: the error shows here
        .append("if ! linux ").append(kernel).append(' ').append(cmdline).append("; then\n")
        .append(retry("could not load (or verify) the client kernel from " + baseUrl))
        .append("if ! initrd ").append(initrd).append("; then\n")
        .append(retry("could not load the client initrd from " + baseUrl))
        .append("boot\n")
        .toString();
  }

  private static String retry(String what) {
    return "  echo \"BootTorrent: " + what + "; retrying in 10 s\"\n  sleep 10\n  reboot\nfi\n";
  }
}
