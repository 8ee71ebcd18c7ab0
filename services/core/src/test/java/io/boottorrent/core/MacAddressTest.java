package io.boottorrent.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MacAddressTest {
  @ParameterizedTest
  @ValueSource(strings = {"52:54:00:ab:cd:ef", "52:54:00:AB:CD:EF", "52-54-00-ab-cd-ef", "5254.00ab.cdef",
      "525400abcdef", "  525400ABCDEF\t"})
  void everyCommonSpellingHasOneCanonicalForm(String text) {
    assertThat(MacAddress.parse(text).canonical()).isEqualTo("52:54:00:ab:cd:ef");
    assertThat(MacAddress.tryParse(text)).contains(new MacAddress("52:54:00:ab:cd:ef"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "52:54-00:ab:cd:ef", "5254.00ab.cdeg",
      "${net0/mac}", "52:54:00:ab:cd:e", "525400abcdef0"})
  void anythingElseIsNotAMac(String text) {
    assertThat(MacAddress.tryParse(text)).isEmpty();
    assertThatThrownBy(() -> MacAddress.parse(text)).hasMessageContaining("not a MAC address: '" + text + "'");
  }

  @Test
  void nullIsNoMacAndBytesRoundTrip() {
    assertThat(MacAddress.tryParse(null)).isEmpty();
    MacAddress mac = MacAddress.of(new byte[] {0x02, 0, 0, 0, 0, (byte) 0xfe});
    assertThat(mac).hasToString("02:00:00:00:00:fe");
    assertThat(MacAddress.of(mac.bytes())).isEqualTo(mac);
    assertThatThrownBy(() -> MacAddress.of(new byte[5])).hasMessageContaining("6 bytes");
    assertThatThrownBy(() -> new MacAddress("02-00-00-00-00-fe")).hasMessageContaining("canonical");
  }
}
