package io.boottorrent.telemetry;

import io.boottorrent.core.PeerSource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.BootPhase;
import io.boottorrent.proto.BootStage;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SmallPartsTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "DHCP_LEASE, PHASE_DHCP", "PXE_OFFER, PHASE_DHCP",
      "TFTP_TRANSFER, PHASE_BOOT_FILES", "HTTP_BOOT_FILE, PHASE_BOOT_FILES",
      "AGENT_STARTED, PHASE_AGENT_START",
      "MENU_SHOWN, PHASE_MENU", "IMAGE_CHOSEN, PHASE_MENU",
      "DOWNLOAD_STARTED, PHASE_DOWNLOAD", "DOWNLOAD_PROGRESS, PHASE_DOWNLOAD",
      "DOWNLOAD_COMPLETE, PHASE_VERIFY",
      "PEER_BANNED, PHASE_DOWNLOAD", "VERIFIED, PHASE_SEEDING", "SEEDING_DONE, PHASE_SEEDING",
      "LAUNCHING, PHASE_LAUNCH"})
  void everyStageButFailedBelongsToOnePhase(BootStage stage, BootPhase phase) {
    assertThat(BootPhases.of(stage)).contains(phase);
  }

  @Test
  void failedAndUnspecifiedBelongToNoPhaseAndEveryStageIsCovered() {
    assertThat(BootPhases.of(BootStage.FAILED)).isEmpty();
    assertThat(BootPhases.of(BootStage.BOOT_STAGE_UNSPECIFIED)).isEmpty();
    long mapped = java.util.Arrays.stream(BootStage.values())
        .filter(s -> s != BootStage.UNRECOGNIZED).map(BootPhases::of).filter(Optional::isPresent).count();
    assertThat(mapped).as("a new stage needs a phase (or a reason why not)").isEqualTo(BootStage.values().length - 3);
  }

  @Test
  void nearestRankPercentiles() {
    long[] tenValues = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    assertThat(Percentiles.nearestRank(tenValues, 50)).isEqualTo(5);
    assertThat(Percentiles.nearestRank(tenValues, 99)).isEqualTo(10);
    assertThat(Percentiles.nearestRank(tenValues, 10)).isEqualTo(1);
    assertThat(Percentiles.nearestRank(new long[] {42}, 99)).isEqualTo(42);
    assertThat(Percentiles.nearestRank(new long[0], 50)).isEqualTo(-1);
    long[] hundred = java.util.stream.LongStream.rangeClosed(1, 100).toArray();
    assertThat(Percentiles.nearestRank(hundred, 99)).isEqualTo(99);
    assertThatThrownBy(() -> Percentiles.nearestRank(tenValues, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSeederIsMatchedByItsAddressAndPortOrByItsPortAloneWhenItNamesNoAddress() {
    SeederEndpoints seeders = new SeederEndpoints(Set.of(new PeerSource.Peer("10.0.0.1", 6881)), Set.of());
    SeederEndpoints.Split split = seeders.split(Map.of(
        "10.0.0.1:6881", 100L, "10.0.0.7:6881", 1L, "10.0.0.1:51413", 20L, "web:http://10.0.0.1:8080/seed/", 3L));
    assertThat(split).isEqualTo(new SeederEndpoints.Split(100, 21, 3));
  }

  @Test
  void aPeerOnASeedersPortIsTheSeederAnyIpAndWebSeedsAndMalformedKeysAreNot() {
    SeederEndpoints seeders = new SeederEndpoints(Set.of(), Set.of(6881));
    SeederEndpoints.Split split = seeders.split(Map.of(
        "10.0.0.1:6881", 100L, "[fd00::1]:6881", 10L, "10.0.0.7:6881", 1L,
        "10.0.0.8:51413", 20L, "web:http://10.0.0.1:8080/seed/", 3L, "garbage", 4L));
    assertThat(split).isEqualTo(new SeederEndpoints.Split(111, 24, 3));
    assertThat(split.total()).isEqualTo(138);
    assertThat(new SeederEndpoints(Set.of(), Set.of()).split(Map.of("10.0.0.1:6881", 5L)).peers()).isEqualTo(5);
  }
}
