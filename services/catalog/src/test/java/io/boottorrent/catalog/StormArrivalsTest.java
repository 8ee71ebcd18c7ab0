package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StormArrivalsTest {
  final StormArrivals arrivals = new StormArrivals(60_000);

  @Test
  void machinesGetConsecutivePlacesPerImageAndKeepThemWhenTheyAskAgain() {
    assertThat(arrivals.place("debian", "aa:00", 1_000)).isEqualTo(1);
    assertThat(arrivals.place("debian", "aa:01", 1_010)).isEqualTo(2);
    assertThat(arrivals.place("ubuntu", "aa:02", 1_020)).as("another image: its own storm").isEqualTo(1);
    assertThat(arrivals.place("debian", "aa:00", 1_030)).as("a machine asking again (a retry, a reboot)").isEqualTo(1);
    assertThat(arrivals.place("debian", "aa:03", 1_040)).isEqualTo(3);
  }

  @Test
  void aStormEndsAfterAQuietWindowAndTheNextStartsAtOne() {
    arrivals.place("debian", "aa:00", 0);
    arrivals.place("debian", "aa:01", 59_000);
    // within the window of the last assignment: the same storm
    assertThat(arrivals.place("debian", "aa:02", 118_000)).isEqualTo(3);
    // quiet for longer than the window: a new storm
    assertThat(arrivals.place("debian", "aa:01", 178_001)).isEqualTo(1);
    assertThat(arrivals.place("debian", "aa:00", 178_002)).isEqualTo(2);
  }

  @Test
  void refusesAWindowOfNothing() {
    assertThatThrownBy(() -> new StormArrivals(0)).hasMessageContaining("at least 1 ms, got 0");
  }
}
