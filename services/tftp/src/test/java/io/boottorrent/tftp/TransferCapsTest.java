package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.tftp.TransferCaps.Cap;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransferCapsTest {
  @Test
  void aClientGetsUpToItsCapThenIsRefusedUntilOneOfItsTransfersEnds() {
    TransferCaps caps = new TransferCaps(100, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(caps.admit("10.0.0.5")).isEmpty();
    }
    // WHEN a fourth request comes from the same address (any port)
    assertThat(caps.admit("10.0.0.5")).contains(Cap.CLIENT);
    // THEN other addresses are not affected, and a refusal counts nothing
    assertThat(caps.admit("10.0.0.6")).isEmpty();
    assertThat(caps.total()).isEqualTo(4);
    caps.release("10.0.0.5");
    assertThat(caps.admit("10.0.0.5")).isEmpty();
    assertThat(caps.admit("10.0.0.5")).contains(Cap.CLIENT);
  }

  @Test
  void theTotalCapHoldsAcrossAddressesAndFreesOnRelease() {
    TransferCaps caps = new TransferCaps(5, 2);
    for (int i = 0; i < 5; i++) {
      assertThat(caps.admit("10.0.1." + i)).isEmpty();
    }
    // a fresh address is refused by the total cap (checked first: "busy" is the truth then)
    assertThat(caps.admit("10.0.2.1")).contains(Cap.TOTAL);
    assertThat(caps.admit("10.0.1.0")).contains(Cap.TOTAL);
    caps.release("10.0.1.3");
    assertThat(caps.admit("10.0.2.1")).isEmpty();
    assertThat(caps.total()).isEqualTo(5);
  }

  @Test
  void addressesWithNothingRunningAreForgotten() {
    TransferCaps caps = new TransferCaps(10_000, 8);
    for (int i = 0; i < 5000; i++) {
      assertThat(caps.admit("10.1." + (i / 250) + "." + (i % 250))).isEqualTo(Optional.empty());
    }
    assertThat(caps.clients()).isEqualTo(5000);
    for (int i = 0; i < 5000; i++) {
      caps.release("10.1." + (i / 250) + "." + (i % 250));
    }
    assertThat(caps.clients()).isZero();
    assertThat(caps.total()).isZero();
  }

  @Test
  void aReleaseWithoutAnAdmissionIsABug() {
    TransferCaps caps = new TransferCaps(1, 1);
    assertThatThrownBy(() -> caps.release("10.0.0.1")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new TransferCaps(0, 1)).hasMessageContaining("total 0");
  }

  @Test
  void refusalMessagesNameTheCapAndItsKey() {
    TransferCaps caps = new TransferCaps(1000, 8);
    assertThat(caps.message(Cap.TOTAL)).isEqualTo("server busy: 1000 transfers running (tftp.maxTransfers), try again later");
    assertThat(caps.message(Cap.CLIENT))
        .isEqualTo("too many transfers from your address: 8 running (tftp.maxTransfersPerClient), try again later");
  }
}
