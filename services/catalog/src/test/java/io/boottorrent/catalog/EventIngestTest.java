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

  /** Counts only: the byte limits out of the way. */
  static EventIngest ingest(int rate, int burst, int bindingSeconds) {
    return new EventIngest(new EventIngest.Limits(rate, burst, bindingSeconds, 1 << 20, 1 << 30, 1 << 30));
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
    EventIngest ingest = ingest(100, 100, 300);
    // GIVEN machine X posts from 10.0.0.5
    ingest.admit(event(X, BootStage.AGENT_STARTED), 100, "10.0.0.5", T, NANOS);
    // WHEN 10.0.0.66 posts a FAILED for X a minute later THEN it is refused, naming X's source
    assertThatThrownBy(() -> ingest.admit(event(X, BootStage.FAILED), 100, "10.0.0.66", T + 60_000, NANOS))
        .isInstanceOf(CatalogException.class).hasMessageContaining("come from 10.0.0.5, not 10.0.0.66")
        .extracting(e -> ((CatalogException) e).status()).isEqualTo(403);
    // AND X itself goes on posting
    ingest.admit(event(X, BootStage.DOWNLOAD_PROGRESS), 100, "10.0.0.5", T + 200_000, NANOS);
    assertThat(status(() -> ingest.admit(event(X, BootStage.FAILED), 100, "10.0.0.66", T + 499_999, NANOS))).isEqualTo(403);
    // WHEN X's address has been silent for eventMacBindingSeconds THEN a new address may take over (a new lease)
    ingest.admit(event(X, BootStage.AGENT_STARTED), 100, "10.0.0.9", T + 500_000, NANOS);
    assertThat(status(() -> ingest.admit(event(X, BootStage.FAILED), 100, "10.0.0.5", T + 500_001, NANOS))).isEqualTo(403);
  }

  @Test
  void aDhcpLeaseGivesTheMacToItsLeasedAddressAtOnce() {
    EventIngest ingest = ingest(100, 100, 300);
    // GIVEN a host that posted for X first (squatting)
    ingest.admit(event(X, BootStage.AGENT_STARTED), 100, "10.0.0.66", T, NANOS);
    // WHEN our DHCP server leases 10.0.0.5 to X
    ingest.leased(X, "10.0.0.5", T + 1000);
    // THEN X's events come from 10.0.0.5 and the squatter's are refused
    ingest.admit(event(X, BootStage.AGENT_STARTED), 100, "10.0.0.5", T + 2000, NANOS);
    assertThatThrownBy(() -> ingest.admit(event(X, BootStage.FAILED), 100, "10.0.0.66", T + 3000, NANOS))
        .hasMessageContaining("come from 10.0.0.5 (its DHCP lease), not 10.0.0.66");
  }

  @ParameterizedTest
  @EnumSource(value = BootStage.class, names = {"DHCP_LEASE", "PXE_OFFER", "TFTP_TRANSFER", "HTTP_BOOT_FILE"})
  void stagesOfOurOwnServicesAreNotTakenOverHttp(BootStage stage) {
    EventIngest ingest = ingest(100, 100, 300);
    assertThatThrownBy(() -> ingest.admit(event(X, stage).setIp("10.0.0.9"), 100, "10.0.0.66", T, NANOS))
        .hasMessageContaining(stage + " events come from the DHCP, TFTP and catalog services");
  }

  @Test
  void anIpTheEventClaimsIsReplacedByItsSource() {
    EventIngest ingest = ingest(100, 100, 300);
    BootEvent.Builder claim = event(X, BootStage.AGENT_STARTED).setIp("10.0.0.7");
    ingest.admit(claim, 100, "10.0.0.5", T, NANOS);
    assertThat(claim.getIp()).isEqualTo("10.0.0.5");
    BootEvent.Builder none = event("aa:bb:cc:dd:ee:02", BootStage.AGENT_STARTED);
    ingest.admit(none, 100, "10.0.0.6", T, NANOS);
    assertThat(none.getIp()).isEmpty();
  }

  @Test
  void eachSourceHasItsOwnBucket() {
    EventIngest ingest = ingest(1, 3, 300);
    for (int i = 0; i < 3; i++) {
      ingest.admit(event("aa:bb:cc:dd:ee:1" + i, BootStage.AGENT_STARTED), 100, "10.0.0.66", T, NANOS);
    }
    assertThatThrownBy(() -> ingest.admit(event("aa:bb:cc:dd:ee:09", BootStage.AGENT_STARTED), 100, "10.0.0.66", T, NANOS))
        .hasMessageContaining("too many boot events from 10.0.0.66")
        .extracting(e -> ((CatalogException) e).status()).isEqualTo(429);
    assertThat(ingest.retryAfterSeconds("10.0.0.66", 100)).isEqualTo(1);
    ingest.admit(event(X, BootStage.AGENT_STARTED), 100, "10.0.0.5", T, NANOS);
    ingest.admit(event("aa:bb:cc:dd:ee:09", BootStage.AGENT_STARTED), 100, "10.0.0.66", T, NANOS + 1_000_000_000L);
  }

  @Test
  void anEventLargerThanMaxEventBytesIs413AndTakesNothingFromTheBuckets() {
    EventIngest ingest = new EventIngest(new EventIngest.Limits(100, 100, 300, 1000, 1000, 2000));
    // WHEN an event of 1001 bytes is posted THEN 413 naming the key
    assertThatThrownBy(() -> ingest.admit(event(X, BootStage.AGENT_STARTED), 1001, "10.0.0.5", T, NANOS))
        .hasMessageContaining("1001 bytes; at most 1000 (catalog.maxEventBytes)")
        .extracting(e -> ((CatalogException) e).status()).isEqualTo(413);
    // AND the byte bucket is still full: two events of the largest size pass at once
    ingest.admit(event(X, BootStage.AGENT_STARTED), 1000, "10.0.0.5", T, NANOS);
    ingest.admit(event(X, BootStage.DOWNLOAD_STARTED), 1000, "10.0.0.5", T, NANOS);
  }

  @Test
  void aSourceGetsItsBurstOfBytesThenTheByteRate() {
    EventIngest ingest = new EventIngest(new EventIngest.Limits(1000, 1000, 300, 1000, 1000, 3000));
    // GIVEN a byte burst of 3000: three events of 1000 bytes pass, a fourth (well within the count limit) does not
    for (int i = 0; i < 3; i++) {
      ingest.admit(event(X, BootStage.DOWNLOAD_PROGRESS), 1000, "10.0.0.5", T, NANOS);
    }
    assertThatThrownBy(() -> ingest.admit(event(X, BootStage.DOWNLOAD_PROGRESS), 1000, "10.0.0.5", T, NANOS))
        .hasMessageContaining("too many bytes of boot events from 10.0.0.5")
        .extracting(e -> ((CatalogException) e).status()).isEqualTo(429);
    assertThat(ingest.retryAfterSeconds("10.0.0.5", 1000)).isEqualTo(1);
    // AND small events do not pass either until the bucket refills: 100 bytes after 0.1 s at 1000 B/s
    assertThat(status(() -> ingest.admit(event(X, BootStage.DOWNLOAD_PROGRESS), 101, "10.0.0.5", T, NANOS + 100_000_000L)))
        .isEqualTo(429);
    ingest.admit(event(X, BootStage.DOWNLOAD_PROGRESS), 100, "10.0.0.5", T, NANOS + 100_000_000L);
    // AND another source has its own bucket
    ingest.admit(event("aa:bb:cc:dd:ee:02", BootStage.AGENT_STARTED), 1000, "10.0.0.6", T, NANOS);
  }
}
