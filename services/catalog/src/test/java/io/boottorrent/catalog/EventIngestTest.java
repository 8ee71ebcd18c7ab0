package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EventIngestTest {
  static final String X = "aa:bb:cc:dd:ee:01";
  static final long T = 1_000_000;
  static final long NANOS = 7_000_000_000_000L;

  static BootEvent.Builder event(String mac, BootStage stage) {
    return BootEvent.newBuilder().setMac(mac).setStage(stage);
  }

  static int status(Runnable r) {
    try {
      r.run();
      return 202;
    } catch (CatalogException e) {
      return e.status();
    }
  }

  @Test
  void anotherSourceCannotPostForAMacWhileItsSourceIsActiveButMayOnceItIsSilent() {
    EventIngest ingest = new EventIngest(100, 100, 300);
    // GIVEN machine X posts from 10.0.0.5
    ingest.admit(event(X, BootStage.AGENT_STARTED), "10.0.0.5", T, NANOS);
    // WHEN 10.0.0.66 posts a FAILED for X a minute later THEN it is refused, naming X's source
    assertThatThrownBy(() -> ingest.admit(event(X, BootStage.FAILED), "10.0.0.66", T + 60_000, NANOS))
        .isInstanceOf(CatalogException.class).hasMessageContaining("come from 10.0.0.5, not 10.0.0.66")
        .extracting(e -> ((CatalogException) e).status()).isEqualTo(403);
    // AND X itself goes on posting
    ingest.admit(event(X, BootStage.DOWNLOAD_PROGRESS), "10.0.0.5", T + 200_000, NANOS);
    assertThat(status(() -> ingest.admit(event(X, BootStage.FAILED), "10.0.0.66", T + 499_999, NANOS))).isEqualTo(403);
    // WHEN X's address has been silent for eventMacBindingSeconds THEN a new address may take over (a new lease)
    ingest.admit(event(X, BootStage.AGENT_STARTED), "10.0.0.9", T + 500_000, NANOS);
    assertThat(status(() -> ingest.admit(event(X, BootStage.FAILED), "10.0.0.5", T + 500_001, NANOS))).isEqualTo(403);
  }

  @Test
  void aDhcpLeaseGivesTheMacToItsLeasedAddressAtOnce() {
    EventIngest ingest = new EventIngest(100, 100, 300);
    // GIVEN a host that posted for X first (squatting)
    ingest.admit(event(X, BootStage.AGENT_STARTED), "10.0.0.66", T, NANOS);
    // WHEN our DHCP server leases 10.0.0.5 to X
    ingest.leased(X, "10.0.0.5", T + 1000);
    // THEN X's events come from 10.0.0.5 and the squatter's are refused
    ingest.admit(event(X, BootStage.AGENT_STARTED), "10.0.0.5", T + 2000, NANOS);
    assertThatThrownBy(() -> ingest.admit(event(X, BootStage.FAILED), "10.0.0.66", T + 3000, NANOS))
        .hasMessageContaining("come from 10.0.0.5 (its DHCP lease), not 10.0.0.66");
  }

  @ParameterizedTest
  @EnumSource(value = BootStage.class, names = {"DHCP_LEASE", "PXE_OFFER", "TFTP_TRANSFER", "HTTP_BOOT_FILE"})
  void stagesOfOurOwnServicesAreNotTakenOverHttp(BootStage stage) {
    EventIngest ingest = new EventIngest(100, 100, 300);
    assertThatThrownBy(() -> ingest.admit(event(X, stage).setIp("10.0.0.9"), "10.0.0.66", T, NANOS))
        .hasMessageContaining(stage + " events come from the DHCP, TFTP and catalog services");
  }

  @Test
  void anIpTheEventClaimsIsReplacedByItsSource() {
    EventIngest ingest = new EventIngest(100, 100, 300);
    BootEvent.Builder claim = event(X, BootStage.AGENT_STARTED).setIp("10.0.0.7");
    ingest.admit(claim, "10.0.0.5", T, NANOS);
    assertThat(claim.getIp()).isEqualTo("10.0.0.5");
    BootEvent.Builder none = event("aa:bb:cc:dd:ee:02", BootStage.AGENT_STARTED);
    ingest.admit(none, "10.0.0.6", T, NANOS);
    assertThat(none.getIp()).isEmpty();
  }

  @Test
  void eachSourceHasItsOwnBucket() {
    EventIngest ingest = new EventIngest(1, 3, 300);
    for (int i = 0; i < 3; i++) {
      ingest.admit(event("aa:bb:cc:dd:ee:1" + i, BootStage.AGENT_STARTED), "10.0.0.66", T, NANOS);
    }
    assertThatThrownBy(() -> ingest.admit(event("aa:bb:cc:dd:ee:09", BootStage.AGENT_STARTED), "10.0.0.66", T, NANOS))
        .hasMessageContaining("too many boot events from 10.0.0.66")
        .extracting(e -> ((CatalogException) e).status()).isEqualTo(429);
    assertThat(ingest.retryAfterSeconds("10.0.0.66")).isEqualTo(1);
    ingest.admit(event(X, BootStage.AGENT_STARTED), "10.0.0.5", T, NANOS);
    ingest.admit(event("aa:bb:cc:dd:ee:09", BootStage.AGENT_STARTED), "10.0.0.66", T, NANOS + 1_000_000_000L);
  }
}
