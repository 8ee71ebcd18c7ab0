package io.boottorrent.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InfoHashTest {
  @Test
  void hexRoundTripsInLowerCase() {
    InfoHash h = InfoHash.fromHex("ABCDEF0123456789ABCDEF0123456789ABCDEF01");
    assertThat(h.hex()).isEqualTo("abcdef0123456789abcdef0123456789abcdef01");
    assertThat(InfoHash.fromHex(h.hex())).isEqualTo(h).hasSameHashCodeAs(h);
    assertThat(new InfoHash(h.bytes())).isEqualTo(h);
  }

  @Test
  void refusesWrongLengthsAndNonHex() {
    assertThatThrownBy(() -> InfoHash.fromHex("abc")).hasMessageContaining("40 hex digits");
    assertThatThrownBy(() -> InfoHash.fromHex("g".repeat(40))).hasMessageContaining("'gggg");
    assertThatThrownBy(() -> new InfoHash(new byte[19])).hasMessageContaining("20 bytes, got 19");
  }

  @Test
  void bytesAreCopiedInAndOut() {
    byte[] raw = new byte[20];
    InfoHash h = new InfoHash(raw);
    raw[0] = 1;
    h.bytes()[1] = 1;
    assertThat(h.hex()).isEqualTo("00".repeat(20));
  }
}
