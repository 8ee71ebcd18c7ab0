package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GrubScriptTest {
  @Test
  void configLoadsKernelAndInitrdOverTftpWithTheAgentsIdentityAndRetriesOnFailure() {
    String cfg = GrubScript.render("http://10.0.0.1:8080", "52-54-00-12-34-56", "console=ttyS0", true);
    assertThat(cfg).contains("if ! linux /vmlinuz "
        + "boottorrent.catalog=http://10.0.0.1:8080 boottorrent.mac=52:54:00:12:34:56 console=ttyS0; then\n"
        + "  echo \"BootTorrent: could not load (or Secure Boot did not verify) the client kernel /vmlinuz over TFTP; "
        + "retrying in 10 s\"\n  sleep 10\n  reboot\nfi\n");
    assertThat(cfg).contains("if ! initrd /initrd; then\n");
    assertThat(cfg).endsWith("fi\nboot\n");
  }

  @Test
  void withoutAMacGrubFillsInItsOwnAndWithoutAClientImageItSaysWhatToDo() {
    assertThat(GrubScript.render("http://h", "${net0/mac}", "", true))
        .contains("boottorrent.mac=${net_default_mac}");
    assertThat(GrubScript.render("http://h:1", null, "", false))
        .contains("the client image is not built on the server").doesNotContain("linux ");
  }
}
