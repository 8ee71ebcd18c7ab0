package io.boottorrent.telemetry;

import static io.boottorrent.telemetry.Fixtures.HASH;
import static io.boottorrent.telemetry.Fixtures.IMAGE;
import static io.boottorrent.telemetry.Fixtures.SIZE;
import static io.boottorrent.telemetry.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.boottorrent.core.BootEvents;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootPhase;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.MachineDetail;
import io.boottorrent.proto.MachineList;
import io.boottorrent.proto.MachineView;
import io.boottorrent.proto.PhaseView;
import io.boottorrent.proto.StormView;
import io.boottorrent.proto.SwarmStats;
import io.boottorrent.proto.SwarmView;
import io.boottorrent.proto.TelemetryRecord;
import io.boottorrent.telemetry.Fixtures.Boot;
import io.boottorrent.telemetry.Fixtures.TestClock;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TelemetryModelTest {
  final TestClock clock = new TestClock(T0);
  TelemetryModel model = new TelemetryModel(Fixtures.limits(), clock);

  Boot boot(String mac, String ip) {
    return new Boot(e -> model.bootEvent(e), clock, mac, ip, "node-" + mac);
  }

  MachineView view(String mac) {
    return model.machine(mac).orElseThrow().getMachine();
  }

  /** A whole boot, from the PXE offer to the launch, with its times in ms after T0. */
  Boot fullBoot(String mac, String ip) {
    return boot(mac, ip).at(T0).pxe().at(T0 + 100).lease()
        .at(T0 + 500).tftp().at(T0 + 2_000).httpBoot()
        .at(T0 + 10_000).started()
        .at(T0 + 11_000).menu().at(T0 + 14_000).chosen()
        .at(T0 + 15_000).downloadStarted().at(T0 + 16_000).progress(0.5).at(T0 + 20_000).complete(6_000_000, 3_000_000, 1_000_000)
        .at(T0 + 21_000).verified()
        .at(T0 + 31_000).seedingDone().at(T0 + 31_500).launching();
  }

  @Nested
  class Timelines {
    @Test
    void aFullBootHasEveryPhaseWithTheTimeSpentInIt() {
      // GIVEN the events of one PXE boot through to LAUNCHING
      fullBoot("52:54:00:12:34:56", "10.0.0.5");
      clock.at(T0 + 90_000);

      // THEN each phase starts at its first event and lasts until the next phase starts
      MachineView m = view("52:54:00:12:34:56");
      assertThat(m.getPhasesList()).extracting(PhaseView::getPhase, PhaseView::getStartMs, PhaseView::getDurationMs,
          PhaseView::getRunning).containsExactly(
          tuple(BootPhase.PHASE_DHCP, T0, 500L, false),
          tuple(BootPhase.PHASE_BOOT_FILES, T0 + 500, 9_500L, false),
          tuple(BootPhase.PHASE_AGENT_START, T0 + 10_000, 1_000L, false),
          tuple(BootPhase.PHASE_MENU, T0 + 11_000, 4_000L, false),
          tuple(BootPhase.PHASE_DOWNLOAD, T0 + 15_000, 5_000L, false),
          tuple(BootPhase.PHASE_VERIFY, T0 + 20_000, 1_000L, false),
          tuple(BootPhase.PHASE_SEEDING, T0 + 21_000, 10_500L, false),
          tuple(BootPhase.PHASE_LAUNCH, T0 + 31_500, 0L, false));
      assertThat(m.getPhasesList()).extracting(PhaseView::getEvents).containsExactly(2, 2, 1, 2, 2, 1, 2, 1);
      // AND the boot is over: launched, not stalled although silent for a minute
      assertThat(m.getStage()).isEqualTo(BootStage.LAUNCHING);
      assertThat(m.getPhase()).isEqualTo(BootPhase.PHASE_LAUNCH);
      assertThat(m.getLaunched()).isTrue();
      assertThat(m.getStalled()).isFalse();
      assertThat(m.getBootMs()).isEqualTo(31_500);
      assertThat(m.getPxe()).isTrue();
      assertThat(m.getIp()).isEqualTo("10.0.0.5");
      assertThat(m.getArch()).isEqualTo("bios");
      assertThat(m.getImage()).isEqualTo("debian");
      assertThat(m.getInfoHash()).isEqualTo(HASH);
      assertThat(m.getLauncher()).isEqualTo("kexec");
      assertThat(m.getNodeId()).isEqualTo("node-52:54:00:12:34:56");
      assertThat(m.getBoots()).isEqualTo(1);
      assertThat(m.getBytesDone()).isEqualTo(SIZE);
      assertThat(m.getBytesTotal()).isEqualTo(SIZE);
    }

    @Test
    void theRunningPhaseLastsUntilNowAndProgressAndRatesAreTheLatestReported() {
      // GIVEN a machine half way through its download
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).started().at(T0 + 1_000).downloadStarted()
          .at(T0 + 3_000).progress(0.25).at(T0 + 4_000).progress(0.5);
      clock.at(T0 + 7_000);

      MachineView m = view("52:54:00:12:34:56");
      assertThat(m.getPhasesList()).last().satisfies(p -> {
        assertThat(p.getPhase()).isEqualTo(BootPhase.PHASE_DOWNLOAD);
        assertThat(p.getRunning()).isTrue();
        assertThat(p.getDurationMs()).isEqualTo(6_000);
      });
      assertThat(m.getStage()).isEqualTo(BootStage.DOWNLOAD_PROGRESS);
      assertThat(m.getBytesDone()).isEqualTo(SIZE / 2);
      assertThat(m.getBytesTotal()).isEqualTo(SIZE);
      assertThat(m.getDownloadRate()).isEqualTo(2_000_000);
      assertThat(m.getUploadRate()).isEqualTo(500_000);
      assertThat(m.getPeers()).isEqualTo(3);
      assertThat(m.getBytesUploaded()).isEqualTo(1234);
      assertThat(m.getBootMs()).isEqualTo(7_000);
      assertThat(m.getPxe()).as("no PXE event: an agent started by hand").isFalse();
    }

    @Test
    void iPxeAndUdhcpcLeasesInsideTheBootDoNotMoveItBack() {
      // GIVEN PXE DHCP, the TFTP transfer, then iPXE's own DHCP and the client image's udhcpc lease
      Boot b = boot("52:54:00:12:34:56", "10.0.0.5").at(T0).pxe().lease().at(T0 + 500).tftp()
          .at(T0 + 1_000).lease().at(T0 + 1_500).httpBoot().at(T0 + 8_000).lease();
      // THEN the boot is still in its boot-files phase, one boot, the leases counted in the DHCP phase
      MachineView m = view(b.mac);
      assertThat(m.getPhase()).isEqualTo(BootPhase.PHASE_BOOT_FILES);
      assertThat(m.getStage()).isEqualTo(BootStage.HTTP_BOOT_FILE);
      assertThat(m.getBoots()).isEqualTo(1);
      assertThat(m.getPhasesList()).extracting(PhaseView::getEvents).containsExactly(4, 2);
    }

    @Test
    void aFailureEndsThePhaseItHappenedInAndKeepsItsReason() {
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).started().at(T0 + 1_000).downloadStarted()
          .at(T0 + 4_000).failed("info-hash of the torrent 11.. differs from the manifest's 22..");
      clock.at(T0 + 500_000);

      MachineView m = view("52:54:00:12:34:56");
      assertThat(m.getFailed()).isTrue();
      assertThat(m.getFailure()).isEqualTo("info-hash of the torrent 11.. differs from the manifest's 22..");
      assertThat(m.getStage()).as("the last stage with a phase").isEqualTo(BootStage.DOWNLOAD_STARTED);
      assertThat(m.getPhasesList()).last().satisfies(p -> {
        assertThat(p.getPhase()).isEqualTo(BootPhase.PHASE_DOWNLOAD);
        assertThat(p.getDurationMs()).isEqualTo(3_000);
        assertThat(p.getRunning()).isFalse();
      });
      assertThat(m.getStalled()).as("a failed boot is not stalled").isFalse();
      assertThat(m.getBootMs()).isEqualTo(4_000);
    }

    @Test
    void afterALaunchALeaseRenewalIsNotANewBootButAPxeOfferIs() {
      // GIVEN a machine that booted and launched
      Boot b = fullBoot("52:54:00:12:34:56", "10.0.0.5");
      // WHEN the launched OS renews its lease
      b.at(T0 + 60_000).lease();
      // THEN the boot stays as it was (the lease is in the machine's events)
      assertThat(view(b.mac).getBoots()).isEqualTo(1);
      assertThat(view(b.mac).getStage()).isEqualTo(BootStage.LAUNCHING);
      assertThat(model.machine(b.mac).orElseThrow().getEventsList()).last()
          .extracting(BootEvent::getStage).isEqualTo(BootStage.DHCP_LEASE);
      // WHEN it reboots through PXE
      b.at(T0 + 120_000).pxe();
      // THEN a second boot starts from scratch
      MachineView m = view(b.mac);
      assertThat(m.getBoots()).isEqualTo(2);
      assertThat(m.getPhasesList()).extracting(PhaseView::getPhase).containsExactly(BootPhase.PHASE_DHCP);
      assertThat(m.getFirstSeenMs()).isEqualTo(T0 + 120_000);
      assertThat(m.getLaunched()).isFalse();
      assertThat(m.getImage()).isEmpty();
      assertThat(m.getIp()).as("the address stays known").isEqualTo("10.0.0.5");
    }

    @Test
    void anAgentWithAnotherNodeIdIsANewBootAndTheSameAgentAfterLaunchingIsNot() {
      new Boot(e -> model.bootEvent(e), clock, "52:54:00:12:34:56", "", "run-1").at(T0).started().at(T0 + 100).launching()
          .at(T0 + 200).failed("kexec: Operation not permitted");
      MachineView first = view("52:54:00:12:34:56");
      assertThat(first.getBoots()).isEqualTo(1);
      assertThat(first.getFailure()).isEqualTo("kexec: Operation not permitted");

      new Boot(e -> model.bootEvent(e), clock, "52:54:00:12:34:56", "", "run-2").at(T0 + 5_000).started();
      MachineView second = view("52:54:00:12:34:56");
      assertThat(second.getBoots()).isEqualTo(2);
      assertThat(second.getNodeId()).isEqualTo("run-2");
      assertThat(second.getFailed()).isFalse();
      // a PXE boot after the agent started (a power cycle) is a new boot too
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0 + 9_000).pxe();
      assertThat(view("52:54:00:12:34:56").getBoots()).isEqualTo(3);
    }

    @Test
    void theMacIsFoundInAnySpelling() {
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).started();
      assertThat(model.machine("52-54-00-12-34-56")).isPresent();
      assertThat(model.machine("5254.0012.3456")).isPresent();
      assertThat(model.machine("525400123456")).isPresent();
      assertThat(model.machine(" 52:54:00:12:34:56 ".toUpperCase())).isPresent();
      assertThat(model.machine("52:54:00:12:34:57")).isEmpty();
    }
  }

  @Nested
  class TftpJoin {
    final BootEvents events = new BootEvents(clock);

    @Test
    void aTftpTransferJoinsTheMachineItsIpWasLeasedTo() {
      // GIVEN a lease of 10.0.0.5 to machine A
      boot("52:54:00:00:00:0a", "10.0.0.5").at(T0).pxe().lease();
      // WHEN TFTP reports a transfer to 10.0.0.5 (TFTP knows no MAC)
      clock.at(T0 + 700);
      model.bootEvent(events.tftpSent("10.0.0.5", "undionly.kpxe", 70_000, 70_000, 120));
      // THEN it is A's boot-files phase, and A's events show it with A's MAC
      MachineDetail a = model.machine("52:54:00:00:00:0a").orElseThrow();
      assertThat(a.getMachine().getPhase()).isEqualTo(BootPhase.PHASE_BOOT_FILES);
      assertThat(a.getMachine().getPhasesList().get(1).getStartMs()).isEqualTo(T0 + 700);
      assertThat(a.getEventsList()).last().satisfies(e -> {
        assertThat(e.getStage()).isEqualTo(BootStage.TFTP_TRANSFER);
        assertThat(e.getMac()).isEqualTo("52:54:00:00:00:0a");
      });
      // AND the global log finds it by A's MAC
      assertThat(model.events(new EventQuery("52:54:00:00:00:0a", null, BootStage.TFTP_TRANSFER, null, null), 10)
          .getEventsList()).hasSize(1);
    }

    @Test
    void anAddressLeasedAgainBelongsToItsNewMachine() {
      boot("52:54:00:00:00:0a", "10.0.0.5").at(T0).pxe().lease();
      boot("52:54:00:00:00:0b", "10.0.0.5").at(T0 + 1_000).pxe().lease();
      model.bootEvent(events.tftpSent("10.0.0.5", "undionly.kpxe", 70_000, 70_000, 120));
      assertThat(view("52:54:00:00:00:0b").getPhase()).isEqualTo(BootPhase.PHASE_BOOT_FILES);
      assertThat(view("52:54:00:00:00:0a").getPhase()).isEqualTo(BootPhase.PHASE_DHCP);
      assertThat(view("52:54:00:00:00:0a").getIp()).as("no longer A's").isEmpty();
    }

    @Test
    void aTransferBeforeItsAddressIsKnownJoinsOnceAnEventNamesTheAddressAndAMac() {
      // GIVEN proxyDHCP: our offer carries no address, another server leases it
      model.bootEvent(events.pxeOffer("52:54:00:00:00:0a", "", "bios", "bootloader", "undionly.kpxe"));
      clock.at(T0 + 500);
      model.bootEvent(events.tftpSent("10.0.0.9", "undionly.kpxe", 70_000, 70_000, 120));
      assertThat(view("52:54:00:00:00:0a").getPhase()).isEqualTo(BootPhase.PHASE_DHCP);
      assertThat(model.events(EventQuery.ALL, 10).getEventsList()).last()
          .extracting(BootEvent::getMac).as("not joined yet").isEqualTo("");
      // WHEN the catalog serves iPXE's script to that address and MAC
      clock.at(T0 + 2_000);
      model.bootEvent(events.httpBootScript("10.0.0.9", java.util.Optional.of(
          io.boottorrent.core.MacAddress.parse("52:54:00:00:00:0a")), true, 512));
      // THEN the earlier transfer is the machine's, at its own time
      MachineDetail a = model.machine("52:54:00:00:00:0a").orElseThrow();
      assertThat(a.getMachine().getPhasesList()).extracting(PhaseView::getPhase, PhaseView::getStartMs)
          .containsExactly(tuple(BootPhase.PHASE_DHCP, T0), tuple(BootPhase.PHASE_BOOT_FILES, T0 + 500));
      assertThat(a.getEventsList()).extracting(BootEvent::getStage)
          .containsExactly(BootStage.PXE_OFFER, BootStage.TFTP_TRANSFER, BootStage.HTTP_BOOT_FILE);
      assertThat(a.getEventsList().get(1).getMac()).isEqualTo("52:54:00:00:00:0a");
    }

    @Test
    void aTransferNoMachineClaimsWithinTheStallTimeStaysUnjoined() {
      model.bootEvent(events.tftpSent("10.0.0.9", "undionly.kpxe", 70_000, 70_000, 120));
      clock.plus(Fixtures.limits().stallMs() + 1);
      boot("52:54:00:00:00:0a", "10.0.0.9").lease();
      assertThat(model.machine("52:54:00:00:00:0a").orElseThrow().getEventsList()).extracting(BootEvent::getStage)
          .containsExactly(BootStage.DHCP_LEASE);
    }
  }

  @Nested
  class Stalls {
    @Test
    void aMachineSilentForLongerThanTheStallTimeIsStalledAtItsLastStage() {
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).pxe().at(T0 + 1_000).started().at(T0 + 2_000).downloadStarted()
          .at(T0 + 3_000).progress(0.1);
      clock.at(T0 + 3_000 + 60_000);
      assertThat(view("52:54:00:12:34:56").getStalled()).as("exactly the stall time: not yet").isFalse();
      clock.plus(1);
      MachineView m = view("52:54:00:12:34:56");
      assertThat(m.getStalled()).isTrue();
      assertThat(m.getStage()).isEqualTo(BootStage.DOWNLOAD_PROGRESS);
      assertThat(model.machines(new MachineQuery(null, null, null, null, true, null, null), 0, 10).getTotal())
          .isEqualTo(1);
    }

    @Test
    void aDeviceThatOnlyTookALeaseIsNeverStalled() {
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).lease();
      clock.at(T0 + 3_600_000);
      assertThat(view("52:54:00:12:34:56").getStalled()).isFalse();
      assertThat(view("52:54:00:12:34:56").getPxe()).isFalse();
    }

    @Test
    void aPxeClientStuckInDhcpIsStalled() {
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).pxe();
      clock.at(T0 + 61_000);
      assertThat(view("52:54:00:12:34:56").getStalled()).isTrue();
    }
  }

  @Nested
  class Sources {
    @Test
    void bytesFromTheSeederArePeerBytesOnASeedersListenPort() {
      // GIVEN a seeder listening on 6881 and a machine that got 6 MB from it, 3 MB from a peer, 1 MB from the web seed
      model.seederStatus(Fixtures.seeder("seeder-1", 0));
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).started().downloadStarted().complete(6_000_000, 3_000_000, 1_000_000);
      MachineView m = view("52:54:00:12:34:56");
      assertThat(m.getBytesFromSeeder()).isEqualTo(6_000_000);
      assertThat(m.getBytesFromPeers()).isEqualTo(3_000_000);
      assertThat(m.getBytesFromWebSeed()).isEqualTo(1_000_000);
      assertThat(m.getSourcesMap()).containsEntry("10.0.0.1:6881", 6_000_000L).hasSize(3);
    }

    @Test
    void beforeAnySeederIsKnownEveryPeerIsAPeerAndTheSplitFollowsOnceOneIs() {
      boot("52:54:00:12:34:56", "10.0.0.5").at(T0).started().downloadStarted().complete(6_000_000, 3_000_000, 0);
      assertThat(view("52:54:00:12:34:56").getBytesFromPeers()).isEqualTo(9_000_000);
      model.seederStatus(Fixtures.seeder("seeder-1", 0));
      assertThat(view("52:54:00:12:34:56").getBytesFromSeeder()).isEqualTo(6_000_000);
    }
  }

  @Nested
  class Storms {
    @Test
    void machinesStartingTheSameImageWithinTheWindowAreOneStormAndALaterOneStartsAnother() {
      for (int i = 0; i < 3; i++) {
        boot(Fixtures.mac(i), Fixtures.ip(i)).at(T0 + i * 10_000L).started().downloadStarted();
      }
      boot(Fixtures.mac(3), Fixtures.ip(3)).at(T0 + 30_001).started().downloadStarted();
      List<StormView> storms = model.storms().getStormsList();
      assertThat(storms).extracting(StormView::getStartMs, StormView::getMemberCount)
          .containsExactly(tuple(T0 + 30_001, 1), tuple(T0, 3));
      assertThat(storms.get(1).getId()).isEqualTo("debian@" + T0);
      assertThat(storms.get(1).getImage()).isEqualTo("debian");
      assertThat(storms.get(1).getInfoHash()).isEqualTo(HASH);
      assertThat(view(Fixtures.mac(1)).getStormId()).isEqualTo("debian@" + T0);
    }

    @Test
    void aStormReportsTimeToFirstAndLastBootedAndDownloadPercentiles() {
      // GIVEN 10 machines starting together whose downloads take 1..10 s; they verify 500 ms later
      for (int i = 0; i < 10; i++) {
        boot(Fixtures.mac(i), Fixtures.ip(i)).at(T0).started().downloadStarted()
            .at(T0 + (i + 1) * 1_000L).complete(0, SIZE, 0).at(T0 + (i + 1) * 1_000L + 500).verified();
      }
      StormView s = model.storms().getStorms(0);
      assertThat(s.getBooted()).isEqualTo(10);
      assertThat(s.getFirstBootedMs()).isEqualTo(1_500);
      assertThat(s.getLastBootedMs()).isEqualTo(10_500);
      assertThat(s.getDownloadP50Ms()).isEqualTo(5_000);
      assertThat(s.getDownloadP99Ms()).isEqualTo(10_000);
      assertThat(s.getDeliveredBytes()).isEqualTo(10 * SIZE);
      assertThat(s.getBytesFromPeers()).isEqualTo(10 * SIZE);
      assertThat(s.getFinished()).isFalse();
    }

    @Test
    void aStormFinishesOnceTheWindowPassedAndEveryMemberIsDoneOrFailed() {
      Boot a = boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0).started().downloadStarted();
      Boot b = boot(Fixtures.mac(2), Fixtures.ip(2)).at(T0 + 1_000).started().downloadStarted();
      a.at(T0 + 5_000).complete(SIZE, 0, 0).verified();
      clock.at(T0 + 31_000);
      assertThat(model.tick()).as("b still downloads").isEmpty();
      b.at(T0 + 32_000).failed("disk full");
      List<StormView> done = model.tick();
      assertThat(done).singleElement().satisfies(s -> {
        assertThat(s.getFinished()).isTrue();
        assertThat(s.getFinishedMs()).isEqualTo(T0 + 32_000);
        assertThat(s.getBooted()).isEqualTo(1);
        assertThat(s.getFailed()).isEqualTo(1);
        assertThat(s.getMembersList()).extracting(m -> m.getFailure()).containsExactly("", "disk full");
      });
      assertThat(model.tick()).as("finished once").isEmpty();
      assertThat(model.storms().getStormsList()).singleElement().extracting(StormView::getFinished).isEqualTo(true);
    }

    @Test
    void aStormDoesNotFinishInsideItsWindowAndAStalledMemberCountsAsDone() {
      boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0).started().downloadStarted().at(T0 + 2_000).complete(SIZE, 0, 0)
          .verified();
      clock.at(T0 + 30_000);
      assertThat(model.tick()).as("inside the window another machine may still join").isEmpty();
      boot(Fixtures.mac(2), Fixtures.ip(2)).at(T0 + 30_000).started().downloadStarted().progress(0.1);
      clock.at(T0 + 30_000 + 60_001);
      assertThat(model.tick()).singleElement().extracting(StormView::getMemberCount).isEqualTo(2);
    }

    @Test
    void theP2pShareAndTheSeedersEgressInImageCopiesComeFromSeederStatusAndProgress() {
      // GIVEN a seeder that served 5 MB before the storm
      clock.at(T0 - 2_000);
      model.seederStatus(Fixtures.seeder("seeder-1", 5_000_000));
      // WHEN 4 machines download the 10 MB image, half way, while the seeder serves 4 MB more
      for (int i = 0; i < 4; i++) {
        boot(Fixtures.mac(i), Fixtures.ip(i)).at(T0).started().downloadStarted().at(T0 + 1_000).progress(0.5);
      }
      clock.at(T0 + 2_000);
      model.seederStatus(Fixtures.seeder("seeder-1", 9_000_000));
      // THEN the storm counts only the egress since it started: 4 MB of 20 MB delivered
      StormView half = model.storms().getStorms(0);
      assertThat(half.getSeederBytes()).isEqualTo(4_000_000);
      assertThat(half.getDeliveredBytes()).isEqualTo(20_000_000);
      assertThat(half.getP2PShare()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(half.getSamplesList()).singleElement().satisfies(p -> {
        assertThat(p.getAtMs()).isEqualTo(T0 + 2_000);
        assertThat(p.getP2PShare()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
      });
      // WHEN they finish and the seeder served 8 MB more in all (12 MB = 1.2 images)
      for (int i = 0; i < 4; i++) {
        boot(Fixtures.mac(i), Fixtures.ip(i)).at(T0 + 3_000).complete(3_000_000, 7_000_000, 0).verified();
      }
      clock.at(T0 + 4_000);
      model.seederStatus(Fixtures.seeder("seeder-1", 17_000_000));
      StormView done = model.storms().getStorms(0);
      assertThat(done.getSeederBytes()).isEqualTo(12_000_000);
      assertThat(done.getSeederCopies()).isCloseTo(1.2, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(done.getP2PShare()).isCloseTo(0.7, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(done.getSamplesList()).extracting(p -> p.getDeliveredBytes()).containsExactly(20_000_000L, 40_000_000L);
      // AND the agents' own accounting agrees on the split
      assertThat(done.getBytesFromSeeder()).isEqualTo(12_000_000);
      assertThat(done.getBytesFromPeers()).isEqualTo(28_000_000);
    }

    @Test
    void aSeederThatRestartedCountsItsNewTotalAndWebSeedBytesAreNotP2p() {
      model.seederStatus(Fixtures.seeder("seeder-1", 50_000_000));
      boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0).started().downloadStarted();
      model.seederStatus(Fixtures.seeder("seeder-1", 2_000_000)); // re-added: counts from 0 again
      boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0 + 1_000).complete(2_000_000, 6_000_000, 2_000_000);
      StormView s = model.storms().getStorms(0);
      assertThat(s.getSeederBytes()).isEqualTo(2_000_000);
      assertThat(s.getWebSeedBytes()).isEqualTo(2_000_000);
      assertThat(s.getP2PShare()).isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void egressWhileTwoStormsOfOneImageRunIsSplitByWhatEachReceived() {
      clock.at(T0);
      model.seederStatus(Fixtures.seeder("seeder-1", 0));
      boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0).started().downloadStarted();
      boot(Fixtures.mac(2), Fixtures.ip(2)).at(T0 + 40_000).started().downloadStarted();
      boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0 + 41_000).progress(0.3);
      boot(Fixtures.mac(2), Fixtures.ip(2)).at(T0 + 41_000).progress(0.1);
      clock.at(T0 + 42_000);
      model.seederStatus(Fixtures.seeder("seeder-1", 4_000_000));
      List<StormView> storms = model.storms().getStormsList();
      assertThat(storms).extracting(StormView::getStartMs, StormView::getSeederBytes)
          .containsExactly(tuple(T0 + 40_000, 1_000_000L), tuple(T0, 3_000_000L));
    }

    @Test
    void aMachineThatRebootsMidDownloadLeavesItsStormAsFailed() {
      Boot a = boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0).pxe().started().downloadStarted();
      a.at(T0 + 5_000).pxe();
      StormView s = model.storms().getStorms(0);
      assertThat(s.getMembers(0).getFailed()).isTrue();
      assertThat(s.getMembers(0).getFailure()).isEqualTo("rebooted before the boot ended");
      assertThat(view(a.mac).getStormId()).isEmpty();
    }
  }

  @Nested
  class Swarms {
    @Test
    void aSwarmShowsTheTrackersCountsAndTheSeedersUpload() {
      clock.at(T0);
      model.image(ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED)
          .setImage(IMAGE.toBuilder().setTorrent(com.google.protobuf.ByteString.copyFrom(new byte[1000]))).build());
      model.swarmStats(SwarmStats.newBuilder().setInfoHash(HASH).setComplete(3).setIncomplete(5).setDownloaded(7).build());
      model.seederStatus(Fixtures.seeder("seeder-1", 1_000));
      model.seederStatus(Fixtures.seeder("seeder-2", 2_000));
      SwarmView v = model.swarms().getSwarms(0);
      assertThat(v.getInfoHash()).isEqualTo(HASH);
      assertThat(v.getImage()).isEqualTo("debian");
      assertThat(v.getImageSize()).isEqualTo(SIZE);
      assertThat(v.getInCatalog()).isTrue();
      assertThat(v.getSeeds()).isEqualTo(3);
      assertThat(v.getLeechers()).isEqualTo(5);
      assertThat(v.getSwarmSize()).isEqualTo(8);
      assertThat(v.getDownloaded()).isEqualTo(7);
      assertThat(v.getSeeders()).isEqualTo(2);
      assertThat(v.getSeederUploaded()).isEqualTo(3_000);
      assertThat(v.getSeederUploadRate()).isEqualTo(2_000);
      // WHEN the image is removed THEN its swarm stays listed, no longer in the catalog
      model.image(ImageEvent.newBuilder().setType(ImageEvent.Type.REMOVED).setImage(IMAGE).build());
      assertThat(model.swarms().getSwarms(0).getInCatalog()).isFalse();
    }

    @Test
    void aSeederSilentForTheStallTimeNoLongerCountsAndUnknownCountsAreMinusOne() {
      clock.at(T0);
      model.seederStatus(Fixtures.seeder("seeder-1", 1_000));
      clock.plus(60_001);
      SwarmView v = model.swarms().getSwarms(0);
      assertThat(v.getSeeders()).isZero();
      assertThat(v.getSeeds()).isEqualTo(-1);
      assertThat(v.getSwarmSize()).isEqualTo(-1);
      assertThat(v.getImage()).as("named by the seeder").isEqualTo("debian");
    }
  }

  @Nested
  class Caps {
    @Test
    void beyondMaxMachinesTheLeastRecentlySeenIsForgotten() {
      model = new TelemetryModel(new TelemetryModel.Limits(60_000, 30_000, 3, 200, 10_000, 100, 1L << 40), clock);
      for (int i = 0; i < 3; i++) {
        boot(Fixtures.mac(i), Fixtures.ip(i)).at(T0 + i).lease();
      }
      boot(Fixtures.mac(0), Fixtures.ip(0)).at(T0 + 10).pxe(); // machine 0 seen again
      boot(Fixtures.mac(3), Fixtures.ip(3)).at(T0 + 20).lease();
      assertThat(model.machineCount()).isEqualTo(3);
      assertThat(model.machine(Fixtures.mac(1))).as("the least recently seen").isEmpty();
      assertThat(model.machine(Fixtures.mac(0))).isPresent();
      assertThat(model.machines(MachineQuery.ALL, 0, 10).getMachinesList()).extracting(MachineView::getMac)
          .containsExactly(Fixtures.mac(3), Fixtures.mac(0), Fixtures.mac(2));
    }

    @Test
    void eachMachineKeepsItsLatestEventsAndTheLogItsLatest() {
      model = new TelemetryModel(new TelemetryModel.Limits(60_000, 30_000, 100, 5, 8, 100, 1L << 40), clock);
      Boot a = boot(Fixtures.mac(1), Fixtures.ip(1)).at(T0).started().downloadStarted();
      for (int i = 1; i <= 9; i++) {
        a.at(T0 + i * 1_000L).progress(i / 10.0);
      }
      boot(Fixtures.mac(2), Fixtures.ip(2)).at(T0 + 20_000).started();
      MachineDetail d = model.machine(a.mac).orElseThrow();
      assertThat(d.getEventsList()).hasSize(5).allMatch(e -> e.getStage() == BootStage.DOWNLOAD_PROGRESS);
      assertThat(d.getEventsList()).last().extracting(BootEvent::getTimestampMs).isEqualTo(T0 + 9_000);
      // the timeline still knows where the boot started
      assertThat(d.getMachine().getFirstSeenMs()).isEqualTo(T0);
      assertThat(model.logSize()).isEqualTo(8);
      assertThat(model.events(EventQuery.ALL, 100).getEventsList()).hasSize(8).last()
          .extracting(BootEvent::getStage).isEqualTo(BootStage.AGENT_STARTED);
    }

    @Test
    void finishedStormsAreKeptUpToMaxStormsOldestDroppedFirst() {
      model = new TelemetryModel(new TelemetryModel.Limits(60_000, 30_000, 100, 200, 10_000, 2, 1L << 40), clock);
      for (int i = 0; i < 3; i++) {
        long t = T0 + i * 100_000L;
        boot(Fixtures.mac(i), Fixtures.ip(i)).at(t).started().downloadStarted().complete(SIZE, 0, 0).verified();
        clock.at(t + 31_000);
        assertThat(model.tick()).hasSize(1);
      }
      assertThat(model.storms().getStormsList()).extracting(StormView::getStartMs)
          .containsExactly(T0 + 200_000, T0 + 100_000);
    }
  }

  @Nested
  class Queries {
    @Test
    void machinesAreFilteredAndPagedMostRecentlySeenFirstWithTheTotal() {
      for (int i = 0; i < 7; i++) {
        Boot b = boot(Fixtures.mac(i), Fixtures.ip(i)).at(T0 + i * 1_000L).started();
        if (i % 2 == 0) {
          b.downloadStarted();
        }
      }
      MachineList page = model.machines(new MachineQuery(null, "debian", null, null, null, null, null), 1, 2);
      assertThat(page.getTotal()).isEqualTo(4);
      assertThat(page.getOffset()).isEqualTo(1);
      assertThat(page.getLimit()).isEqualTo(2);
      assertThat(page.getMachinesList()).extracting(MachineView::getMac).containsExactly(Fixtures.mac(4), Fixtures.mac(2));
      assertThat(model.machines(new MachineQuery(null, null, BootStage.AGENT_STARTED, null, null, null, null), 0, 10)
          .getTotal()).isEqualTo(3);
      assertThat(model.machines(new MachineQuery(null, null, null, BootPhase.PHASE_DOWNLOAD, null, T0 + 2_000,
          T0 + 4_000), 0, 10).getMachinesList()).extracting(MachineView::getMac)
          .containsExactly(Fixtures.mac(4), Fixtures.mac(2));
      assertThat(model.machines(new MachineQuery(Fixtures.mac(3), null, null, null, null, null, null), 0, 10)
          .getTotal()).isEqualTo(1);
      assertThat(model.machines(MachineQuery.ALL, 10, 10).getMachinesList()).isEmpty();
    }

    @Test
    void eventsAreFilteredByMacImageStageAndTimeNewestWithinTheLimitOldestFirst() {
      fullBoot(Fixtures.mac(1), Fixtures.ip(1));
      fullBoot(Fixtures.mac(2), Fixtures.ip(2));
      assertThat(model.events(new EventQuery(Fixtures.mac(2), null, null, null, null), 1000).getEventsList())
          .hasSize(13).allMatch(e -> e.getMac().equals(Fixtures.mac(2)));
      assertThat(model.events(new EventQuery(null, "debian", BootStage.VERIFIED, null, null), 1000).getEventsList())
          .hasSize(2);
      assertThat(model.events(new EventQuery(null, null, null, T0 + 20_000, T0 + 21_000), 1000).getEventsList())
          .extracting(BootEvent::getStage)
          .containsExactly(BootStage.DOWNLOAD_COMPLETE, BootStage.VERIFIED, BootStage.DOWNLOAD_COMPLETE,
              BootStage.VERIFIED);
      assertThat(model.events(EventQuery.ALL, 2).getEventsList()).extracting(BootEvent::getStage)
          .containsExactly(BootStage.SEEDING_DONE, BootStage.LAUNCHING);
    }
  }

  @Nested
  class Snapshots {
    @Test
    void aSnapshotReplayedIntoAnEmptyModelRebuildsIt() {
      // GIVEN a model with machines in every state, joined and unjoined TFTP events, storms and swarms
      model = new TelemetryModel(new TelemetryModel.Limits(60_000, 30_000, 5, 6, 20, 1, 1L << 40), clock);
      model.seederStatus(Fixtures.seeder("seeder-1", 0));
      model.image(ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED).setImage(IMAGE).build());
      model.swarmStats(SwarmStats.newBuilder().setInfoHash(HASH).setComplete(1).setIncomplete(2).build());
      for (int i = 0; i < 7; i++) {
        fullBoot(Fixtures.mac(i), Fixtures.ip(i));
        clock.plus(40_000 + i);
        model.seederStatus(Fixtures.seeder("seeder-1", 1_000_000L * (i + 1)));
        model.tick();
      }
      boot(Fixtures.mac(9), Fixtures.ip(9)).at(T0 + 400_000).pxe().started().downloadStarted().progress(0.4);
      model.bootEvent(new BootEvents(clock).tftpSent("10.9.9.9", "undionly.kpxe", 1, 1, 1));
      clock.plus(1_000);
      model.seederStatus(Fixtures.seeder("seeder-1", 9_000_000));

      // WHEN its snapshot is replayed into a new model
      TelemetryModel copy = new TelemetryModel(model.limits(), clock);
      List<TelemetryRecord> snapshot = model.snapshot();
      snapshot.forEach(copy::replay);

      // THEN every view is the same
      assertThat(copy.machines(MachineQuery.ALL, 0, 100)).isEqualTo(model.machines(MachineQuery.ALL, 0, 100));
      for (MachineView m : model.machines(MachineQuery.ALL, 0, 100).getMachinesList()) {
        assertThat(copy.machine(m.getMac())).isEqualTo(model.machine(m.getMac()));
      }
      assertThat(copy.events(EventQuery.ALL, 100)).isEqualTo(model.events(EventQuery.ALL, 100));
      assertThat(copy.storms()).isEqualTo(model.storms());
      assertThat(copy.swarms()).isEqualTo(model.swarms());
      assertThat(copy.storms().getStormsList()).hasSize(2); // one running, one finished (maxStorms 1)
      // AND it goes on the same way: the orphan still joins, the next event gets the next number
      BootEvent lease = new BootEvents(clock).dhcpLease(Fixtures.mac(20), "10.9.9.9", "bios", 60);
      model.bootEvent(lease);
      copy.bootEvent(lease);
      assertThat(copy.machine(Fixtures.mac(20))).isEqualTo(model.machine(Fixtures.mac(20)));
      assertThat(copy.machine(Fixtures.mac(20)).orElseThrow().getEventsList()).hasSize(2);
      assertThat(copy.latest(EventQuery.ALL, 1).get(0).seq()).isEqualTo(model.latest(EventQuery.ALL, 1).get(0).seq());
      model.seederStatus(Fixtures.seeder("seeder-1", 10_000_000));
      copy.seederStatus(Fixtures.seeder("seeder-1", 10_000_000));
      assertThat(copy.storms()).isEqualTo(model.storms());
    }

    @Test
    void replayingTheRecordsTheModelReturnedRebuildsIt() {
      java.util.ArrayList<TelemetryRecord> journal = new java.util.ArrayList<>();
      journal.add(model.seederStatus(Fixtures.seeder("seeder-1", 0)));
      for (int i = 0; i < 4; i++) {
        Boot b = boot(Fixtures.mac(i), Fixtures.ip(i)).at(T0 + i * 100L);
        for (BootEvent e : List.of(b.agent.started(), b.agent.downloadStarted(IMAGE, ""),
            b.agent.downloadComplete(IMAGE, 1, io.boottorrent.proto.TorrentStatus.getDefaultInstance(),
                java.util.Map.of()), b.agent.verified(IMAGE))) {
          journal.add(model.bootEvent(e).record());
        }
      }
      clock.at(T0 + 1_000);
      journal.add(model.seederStatus(Fixtures.seeder("seeder-1", 7_000_000)));
      clock.at(T0 + 40_000);
      for (StormView s : model.tick()) {
        journal.add(TelemetryRecord.newBuilder().setReceivedMs(s.getFinishedMs()).setStorm(s).build());
      }
      TelemetryModel copy = new TelemetryModel(model.limits(), clock);
      journal.forEach(copy::replay);
      assertThat(copy.machines(MachineQuery.ALL, 0, 100)).isEqualTo(model.machines(MachineQuery.ALL, 0, 100));
      assertThat(copy.storms()).isEqualTo(model.storms());
      assertThat(copy.storms().getStorms(0).getSeederBytes()).isEqualTo(7_000_000);
    }
  }
}
