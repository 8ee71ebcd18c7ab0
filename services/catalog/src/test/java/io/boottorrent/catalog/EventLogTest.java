package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import org.junit.jupiter.api.Test;

class EventLogTest {
  static BootEvent event(String mac, long t) {
    return BootEvent.newBuilder().setMac(mac).setStage(BootStage.AGENT_STARTED).setTimestampMs(t).build();
  }

  @Test
  void theOldestEventsAreDroppedBeyondCapacity() {
    // GIVEN a log of 3
    EventLog log = new EventLog(3);
    // WHEN 5 events arrive
    for (int t = 1; t <= 5; t++) {
      log.add(event("aa:aa:aa:aa:aa:aa", t));
    }
    // THEN the last 3 remain, oldest first
    assertThat(log.size()).isEqualTo(3);
    assertThat(log.latest(null, 10)).extracting(BootEvent::getTimestampMs).containsExactly(3L, 4L, 5L);
  }

  @Test
  void latestFiltersByMacAndKeepsTheNewestWithinTheLimit() {
    EventLog log = new EventLog(100);
    for (int t = 1; t <= 6; t++) {
      log.add(event(t % 2 == 0 ? "aa:aa:aa:aa:aa:aa" : "bb:bb:bb:bb:bb:bb", t));
    }
    assertThat(log.latest("aa:aa:aa:aa:aa:aa", 2)).extracting(BootEvent::getTimestampMs).containsExactly(4L, 6L);
    assertThat(log.latest("cc:cc:cc:cc:cc:cc", 10)).isEmpty();
    assertThat(log.latest(null, 1)).extracting(BootEvent::getTimestampMs).containsExactly(6L);
  }
}
