package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.server.Json;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class EventsCommandTest {
  private static final long T = 1_700_000_000_123L; // 22:13:20.123 UTC

  @Test
  void aProgressEventIsOneLineWithPercentRatesAndPeers() {
    BootEvent e = BootEvent.newBuilder().setTimestampMs(T).setMac("52:54:00:00:00:01")
        .setStage(BootStage.DOWNLOAD_PROGRESS).setImage("debian").setBytesDone(512).setBytesTotal(1024)
        .setDownloadRate(3 << 20).setUploadRate(1 << 20).setPeers(4).build();
    assertThat(EventLine.format(e, ZoneOffset.UTC)).isEqualTo(
        "22:13:20.123  52:54:00:00:00:01  DOWNLOAD_PROGRESS  debian   50.0%  3.0 MiB/s down  1.0 MiB/s up  4 peers");
  }

  @Test
  void aTftpEventWithoutAMacIsNamedByItsAddress() {
    BootEvent e = BootEvent.newBuilder().setTimestampMs(T).setIp("10.0.0.5").setStage(BootStage.TFTP_TRANSFER)
        .setMessage("undionly.kpxe 70000 bytes in 12 ms").build();
    assertThat(EventLine.format(e, ZoneOffset.UTC))
        .isEqualTo("22:13:20.123  10.0.0.5           TFTP_TRANSFER      undionly.kpxe 70000 bytes in 12 ms");
  }

  @Test
  void sseDataLinesAreEventsAndEverythingElseIsNot() {
    BootEvent e = BootEvent.newBuilder().setMac("52:54:00:00:00:01").setStage(BootStage.FAILED).setMessage("x").build();
    assertThat(EventsCommand.Tail.parseData("data: " + Json.print(e))).contains(e);
    assertThat(EventsCommand.Tail.parseData(": heartbeat")).isEmpty();
    assertThat(EventsCommand.Tail.parseData("event: boot")).isEmpty();
    assertThat(EventsCommand.Tail.parseData("")).isEmpty();
    assertThat(EventsCommand.Tail.parseData("data: {not json")).isEmpty();
  }

  @Test
  void aBadFilterIsAClearErrorWithExitStatusTwo() {
    CliTest.Run bad = CliTest.run("events", "tail", "--stage", "BOOTED");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("unknown stage 'BOOTED'", "DOWNLOAD_COMPLETE");
    CliTest.Run mac = CliTest.run("events", "tail", "--mac", "52:54");
    assertThat(mac.err()).contains("not a MAC address: '52:54'");
  }
}
