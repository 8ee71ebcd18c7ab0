package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class IpxeScriptTest {
  @Test
  void scriptLoadsKernelAndInitrdWithTheAgentsIdentityOnTheCommandLine() {
    String script = IpxeScript.render("http://10.0.0.1:8080", "52:54:00:12:34:56", "console=ttyS0", true);
    assertThat(script).startsWith("#!ipxe\n");
    assertThat(script).contains("kernel http://10.0.0.1:8080/boot/vmlinuz?mac=52:54:00:12:34:56 initrd=initrd "
        + "boottorrent.catalog=http://10.0.0.1:8080 boottorrent.mac=52:54:00:12:34:56 console=ttyS0 || goto failed\n");
    assertThat(script).contains("initrd --name initrd http://10.0.0.1:8080/boot/initrd?mac=52:54:00:12:34:56 || goto failed\n");
    assertThat(script).contains("boot || goto failed\n");
    // a failure is explained on the console and retried, never a silent hang
    assertThat(script).contains(":failed\necho BootTorrent: could not load the client image");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "52-54-00-AB-CD-EF | 52:54:00:ab:cd:ef",
      "${net0/mac}       | ${net0/mac}",
      "not-a-mac         | ${net0/mac}",
      "52:54:00:ab:cd:ef;reboot | ${net0/mac}"})
  void macIsNormalisedOrLeftToIpxe(String given, String expected) {
    assertThat(IpxeScript.normalise(given)).isEqualTo(expected);
    assertThat(IpxeScript.render("http://h:1", given, "", true)).contains("boottorrent.mac=" + expected);
  }

  @Test
  void missingMacLetsIpxeFillItIn() {
    assertThat(IpxeScript.normalise(null)).isEqualTo("${net0/mac}");
  }

  @Test
  void missingClientImageSaysWhatToDo() {
    String script = IpxeScript.render("http://h:1", null, "", false);
    assertThat(script).contains("client image is not built").contains("make client-image").doesNotContain("kernel ");
  }
}
