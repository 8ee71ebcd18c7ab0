package io.boottorrent.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BootEventsTest {
  private static final MacAddress MAC = MacAddress.parse("52:54:00:00:00:01");
  private final BootEvents events = new BootEvents(Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC));
  private final ImageManifest image = ImageManifest.newBuilder().setName("debian").setInfoHash("ab".repeat(20))
      .setTotalSize(1000).addFiles(io.boottorrent.proto.ImageFile.newBuilder().setPath("vmlinuz")).build();

  @Test
  void frontDoorEventsCarryAddressAndMessage() {
    BootEvent lease = events.dhcpLease(MAC.canonical(), "10.0.0.5", "bios", 3600);
    assertThat(lease.getStage()).isEqualTo(BootStage.DHCP_LEASE);
    assertThat(lease.getMac()).isEqualTo("52:54:00:00:00:01");
    assertThat(lease.getTimestampMs()).isEqualTo(1_700_000_000_000L);
    assertThat(lease.getMessage()).isEqualTo("lease 3600 s");
    assertThat(events.pxeOffer(MAC.canonical(), "", "efi64", "IPXE", "http://x/boot/ipxe").getMessage())
        .isEqualTo("ipxe http://x/boot/ipxe");
    assertThat(events.tftpSent("10.0.0.5", "undionly.kpxe", 70_000, 70_000, 12).getMessage())
        .isEqualTo("undionly.kpxe 70000 bytes in 12 ms");
    assertThat(events.tftpFailed("10.0.0.5", "nope", "file not found", 0, 0).getMessage())
        .isEqualTo("nope failed: file not found");
    BootEvent script = events.httpBootScript("10.0.0.5", Optional.empty(), false, 99);
    assertThat(script.getMessage()).isEqualTo("ipxe script (client image missing)");
    assertThat(script.getMac()).isEmpty();
    assertThat(events.httpBootFileSent("10.0.0.5", Optional.of(MAC), "initrd", 5, 1).getMac()).isEqualTo(MAC.canonical());
  }

  @Test
  void agentEventsNameTheMachineTheRunAndTheImage() {
    BootEvents.Agent agent = events.agent(MAC, "node-1");
    assertThat(agent.started().getNodeId()).isEqualTo("node-1");
    assertThat(agent.menuShown("debian", List.of("debian", "rescue"), 5).getMessage())
        .isEqualTo("menu [debian, rescue], 5 s");
    TorrentStatus status = TorrentStatus.newBuilder().setProgress(0.5).setDownloadRate(10).setPeers(3).build();
    BootEvent progress = agent.downloadProgress(image, status);
    assertThat(progress.getBytesDone()).isEqualTo(500);
    assertThat(progress.getInfoHash()).isEqualTo("ab".repeat(20));
    assertThat(progress.getPeers()).isEqualTo(3);
    BootEvent done = agent.downloadComplete(image, 1234, status, Map.of(
        new PeerSource.Peer("10.0.0.7", 6881), 600L, new PeerSource.WebSeed("http://h/seed/"), 400L));
    assertThat(done.getBytesFromPeersMap()).containsEntry("10.0.0.7:6881", 600L).containsEntry("web:http://h/seed/", 400L);
    assertThat(done.getBytesFromWebSeed()).isEqualTo(400);
    assertThat(done.getMessage()).isEqualTo("in 1234 ms");
    BootEvent banned = agent.peerBanned(image, "10.0.0.66", 32768, "piece 3 failed its hash check");
    assertThat(banned.getStage()).isEqualTo(BootStage.PEER_BANNED);
    assertThat(banned.getPeer()).isEqualTo("10.0.0.66");
    assertThat(banned.getBytesDiscarded()).isEqualTo(32768);
    assertThat(banned.getIp()).as("ip is the machine's own address, stamped by the catalog").isEmpty();
    assertThat(banned.getImage()).isEqualTo("debian");
    assertThat(banned.getMessage()).isEqualTo("10.0.0.66 banned: piece 3 failed its hash check; 32768 bytes discarded");
    assertThat(agent.verified(image).getMessage()).isEqualTo("1 file(s) match");
    assertThat(agent.launching("debian", "kexec", "kexec -l …").getLauncher()).isEqualTo("kexec");
    BootEvent failed = agent.failed("", "catalog unreachable");
    assertThat(failed.getStage()).isEqualTo(BootStage.FAILED);
    assertThat(failed.getImage()).isEmpty();
    assertThat(failed.getMessage()).isEqualTo("catalog unreachable");
  }
}
