package io.boottorrent.tftp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CongestionWindowTest {
  @Test
  void aTransferThatNeverLosesSendsEveryWindowInOneBurst() {
    // GIVEN windowsize 8 (RFC 7440) and no loss
    CongestionWindow w = CongestionWindow.adaptive(8, 250);
    // THEN the whole window goes out back to back, as without pacing
    assertThat(w.burst()).isEqualTo(8);
    w.onRoundTrip(3);
    w.onCleanWindow();
    w.onProgress();
    assertThat(w.burst()).isEqualTo(8);
  }

  @Test
  void aLossShrinksTheBurstOncePerEpisodeAndCleanWindowsGrowItBackByOneUpToTheWindow() {
    CongestionWindow w = CongestionWindow.adaptive(8, 250);
    // GIVEN round trips of 20 ms: a queue on the path
    w.onRoundTrip(20);
    // WHEN a block is lost THEN the burst shrinks to 0.7 of itself, rounded down: 8 -> 5
    w.onLoss();
    assertThat(w.burst()).isEqualTo(5);
    // WHEN the timeout and the client's repeated ACKs of the same loss follow, before any progress
    // THEN they do not shrink it again
    w.onLoss();
    w.onLoss();
    assertThat(w.burst()).isEqualTo(5);
    assertThat(w.losses()).isEqualTo(3);
    // WHEN the client acknowledges progress and then loses again, each time THEN 5 -> 3 -> 2 -> 1
    for (int expected : new int[] {3, 2, 1, 1}) {
      w.onProgress();
      w.onLoss();
      assertThat(w.burst()).isEqualTo(expected);
    }
    // THEN never below one block
    // WHEN whole windows are acknowledged without loss THEN one block more per window, at most 8
    for (int i = 0; i < 20; i++) {
      w.onProgress();
      w.onCleanWindow();
      assertThat(w.burst()).isEqualTo(Math.min(8, 2 + i));
    }
  }

  @Test
  void aLossAtALanRoundTripIsNotCongestionAndLeavesTheBurstAlone() {
    CongestionWindow w = CongestionWindow.adaptive(8, 250);
    // GIVEN no round trip measured yet, or loopback round trips of 0-1 ms
    w.onLoss();
    assertThat(w.burst()).isEqualTo(8);
    for (int i = 0; i < 10; i++) {
      w.onRoundTrip(1);
      w.onProgress();
      w.onLoss();
    }
    // THEN random loss there does not slow the transfer down, though every loss is counted
    assertThat(w.burst()).isEqualTo(8);
    assertThat(w.losses()).isEqualTo(11);
    // WHEN the round trip grows to show a queue THEN the next loss counts
    for (int i = 0; i < 20; i++) {
      w.onRoundTrip(30);
    }
    w.onProgress();
    w.onLoss();
    assertThat(w.burst()).isEqualTo(5);
  }

  @Test
  void fixedWindowsIgnoreLoss() {
    // GIVEN tftp.congestionControl false
    CongestionWindow w = CongestionWindow.fixed(8);
    w.onLoss();
    w.onProgress();
    w.onLoss();
    // THEN every window is still one burst, the losses are still counted
    assertThat(w.burst()).isEqualTo(8);
    assertThat(w.losses()).isEqualTo(2);
    assertThat(w.isAdaptive()).isFalse();
  }

  @Test
  void theGapBetweenBurstsIsTheSmoothedRoundTripOver1Point2AndAtLeastOneMillisecond() {
    CongestionWindow w = CongestionWindow.adaptive(8, 250);
    // GIVEN no sample yet THEN a default well above a LAN round trip, paced at 120%
    assertThat(w.srttMillis()).isEqualTo(-1);
    assertThat(w.gapMillis()).isEqualTo(4);
    // WHEN the first sample is 40 ms THEN it is the estimate; the gap is 40 / 1.2
    w.onRoundTrip(40);
    assertThat(w.gapMillis()).isEqualTo(33);
    // WHEN a sample of 0 follows THEN the estimate moves by 1/8 (RFC 6298's gain): 35 ms
    w.onRoundTrip(0);
    assertThat(w.srttMillis()).isEqualTo(35.0);
    assertThat(w.gapMillis()).isEqualTo(29);
    // WHEN loopback round trips of 0 ms go on THEN the gap stays at least 1 ms
    for (int i = 0; i < 100; i++) {
      w.onRoundTrip(0);
    }
    assertThat(w.gapMillis()).isEqualTo(1);
    // WHEN round trips grow to seconds (a deep queue) THEN the gap stops at its ceiling, below the
    // receiver's timeout, so that the silence inside a window does not make it re-ack
    for (int i = 0; i < 100; i++) {
      w.onRoundTrip(2000);
    }
    assertThat(w.srttMillis()).isGreaterThan(1900);
    assertThat(w.gapMillis()).isEqualTo(250);
  }

  @Test
  void aWindowOfOneIsLockstepWhateverHappens() {
    CongestionWindow w = CongestionWindow.adaptive(1, 250);
    w.onRoundTrip(20);
    w.onLoss();
    assertThat(w.burst()).isEqualTo(1);
    w.onProgress();
    w.onCleanWindow();
    assertThat(w.burst()).isEqualTo(1);
  }

  @Test
  void outOfRangeInputIsRefused() {
    assertThatThrownBy(() -> CongestionWindow.adaptive(0, 250)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CongestionWindow.fixed(65536)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CongestionWindow.adaptive(8, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CongestionWindow.adaptive(8, 250).onRoundTrip(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
