package io.boottorrent.catalog;

import io.boottorrent.core.MacAddress;

/**
 * The iPXE script that boots one machine into the BootTorrent client image: kernel and initrd over
 * HTTP from the catalog, and a kernel command line that tells the agent where the catalog is and who
 * the machine is. Pure: {@link BootHttp} serves it at {@code /boot/ipxe?mac=…}.
 */
public final class IpxeScript {
  private IpxeScript() {}

  /**
   * @param baseUrl the catalog's URL as machines reach it, e.g. {@code http://10.0.0.1:8080}
   * @param mac the MAC the DHCP server put into the script URL; anything that is not a MAC (absent, or
   *     an unexpanded {@code ${net0/mac}}) makes iPXE fill in its own {@code ${net0/mac}}
   * @param extraCmdline appended to the client kernel's command line (console settings, …)
   * @param clientImageReady false: the script explains on the console what is missing instead of
   *     failing with an HTTP 404 inside iPXE
   */
  public static String render(String baseUrl, String mac, String extraCmdline, boolean clientImageReady) {
    return render(baseUrl, baseUrl, mac, extraCmdline, clientImageReady);
  }

  /**
   * As {@link #render(String, String, String, boolean)}, with the kernel and initrd fetched from
   * {@code baseUrl} (plain HTTP: Debian's iPXE has no HTTPS) and the agent told {@code catalogUrl}
   * (the API, {@code https://…} when the catalog serves TLS).
   */
  public static String render(String baseUrl, String catalogUrl, String mac, String extraCmdline,
      boolean clientImageReady) {
    String who = normalise(mac);
    StringBuilder s = new StringBuilder("#!ipxe\n");
    if (!clientImageReady) {
      return s.append("echo BootTorrent: the client image is not built on the server (run `make client-image`)\n")
          .append("echo retrying in 30 s\nsleep 30\nreboot\n").toString();
    }
    String cmdline = "initrd=initrd boottorrent.catalog=" + catalogUrl + " boottorrent.mac=" + who
        + (extraCmdline == null || extraCmdline.isBlank() ? "" : " " + extraCmdline.trim());
    return s.append("echo BootTorrent: loading the client image for ").append(who).append('\n')
        // initrd=initrd names the initrd for the UEFI stub; BIOS kernels ignore it. ?mac= lets the
        // catalog's HTTP_BOOT_FILE events name the machine that fetched each file.
        .append("kernel ").append(baseUrl).append("/boot/vmlinuz?mac=").append(who).append(' ').append(cmdline).append(" || goto failed\n")
        .append("initrd --name initrd ").append(baseUrl).append("/boot/initrd?mac=").append(who).append(" || goto failed\n")
        .append("boot || goto failed\n")
        .append(":failed\necho BootTorrent: could not load the client image from ").append(baseUrl)
        .append("; retrying in 10 s\nsleep 10\nreboot\n")
        .toString();
  }

  /** The MAC in canonical form, or iPXE's own {@code ${net0/mac}} when it is none. */
  static String normalise(String mac) {
    return MacAddress.tryParse(mac).map(MacAddress::canonical).orElse("${net0/mac}");
  }
}
