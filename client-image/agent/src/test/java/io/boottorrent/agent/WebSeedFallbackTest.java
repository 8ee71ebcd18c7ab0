package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.TorrentStatus;
import org.junit.jupiter.api.Test;

class WebSeedFallbackTest {
  private static final WebSeedFallback TEN_SECONDS_AT_256K = new WebSeedFallback(10, 262_144);

  private static TorrentStatus rate(long bytesPerSecond) {
    return TorrentStatus.newBuilder().setDownloadRate(bytesPerSecond).setProgress(0.5).build();
  }

  @Test
  void aSwarmThatDeliversNeverNeedsTheWebSeed() {
    WebSeedFallback.Watch watch = TEN_SECONDS_AT_256K.watch(true, 0);
    for (long t = 1000; t <= 60_000; t += 1000) {
      assertThat(watch.observe(rate(1_000_000), t)).isEmpty();
    }
    assertThat(watch.pending()).isTrue();
  }

  @Test
  void aStalledSwarmGetsTheWebSeedOnceAfterTheFallbackTime() {
    // GIVEN a download that stalls from the start
    WebSeedFallback.Watch watch = TEN_SECONDS_AT_256K.watch(true, 0);
    // THEN nothing happens for 10 s, and at the first tick past them the web seed is due, once
    assertThat(watch.observe(rate(0), 10_000)).isEmpty();
    assertThat(watch.observe(rate(100_000), 10_001)).contains("swarm below 262144 B/s for 10 s");
    assertThat(watch.pending()).isFalse();
    assertThat(watch.observe(rate(0), 30_000)).isEmpty();
  }

  @Test
  void aGoodTickResetsTheStallClock() {
    WebSeedFallback.Watch watch = TEN_SECONDS_AT_256K.watch(true, 0);
    assertThat(watch.observe(rate(0), 9_000)).isEmpty();
    assertThat(watch.observe(rate(262_144), 9_500)).isEmpty(); // exactly the minimum counts as good
    assertThat(watch.observe(rate(0), 19_000)).isEmpty();
    assertThat(watch.observe(rate(0), 19_501)).isPresent();
  }

  @Test
  void aCompleteDownloadIsNeverStalled() {
    WebSeedFallback.Watch watch = TEN_SECONDS_AT_256K.watch(true, 0);
    TorrentStatus done = TorrentStatus.newBuilder().setProgress(1.0).build();
    assertThat(watch.observe(done, 60_000)).isEmpty();
  }

  @Test
  void withoutWebSeedsOrWithoutHoldingBackThereIsNothingToAdd() {
    assertThat(TEN_SECONDS_AT_256K.watch(false, 0).observe(rate(0), 60_000)).isEmpty();
    WebSeedFallback immediate = new WebSeedFallback(0, 262_144);
    assertThat(immediate.holdsBack()).isFalse();
    assertThat(immediate.watch(true, 0).observe(rate(0), 60_000)).isEmpty();
    assertThat(TEN_SECONDS_AT_256K.holdsBack()).isTrue();
    assertThatThrownBy(() -> new WebSeedFallback(-1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
