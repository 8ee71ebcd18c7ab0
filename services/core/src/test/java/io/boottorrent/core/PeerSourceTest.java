package io.boottorrent.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PeerSourceTest {
  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.7:6881", "[fd00::7]:6881", "web:http://10.0.0.1:8080/seed/", "127.0.0.1:0"})
  void keysRoundTrip(String key) {
    assertThat(PeerSource.parseKey(key).key()).isEqualTo(key);
  }

  @Test
  void keysSayWhatKindOfSourceTheyAre() {
    assertThat(PeerSource.parseKey("[fd00::7]:6881")).isEqualTo(new PeerSource.Peer("fd00::7", 6881));
    assertThat(PeerSource.parseKey("web:http://h/seed/").isWebSeed()).isTrue();
    assertThat(new PeerSource.Peer("10.0.0.7", 1).isWebSeed()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "10.0.0.7", "10.0.0.7:", "fd00::7:6881", "10.0.0.7:port", "10.0.0.7:70000", "web:"})
  void malformedKeysAreRefused(String key) {
    assertThatThrownBy(() -> PeerSource.parseKey(key)).isInstanceOf(IllegalArgumentException.class);
  }
}
