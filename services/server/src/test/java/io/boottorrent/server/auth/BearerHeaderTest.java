package io.boottorrent.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 6750 §2.1: {@code Authorization: Bearer <token>}; the scheme is case-insensitive (RFC 9110 §11.1). */
class BearerHeaderTest {
  @Test
  void theTokenOfABearerHeaderInAnyCaseOfTheScheme() {
    assertThat(BearerHeader.parse("Bearer btk_abc").token()).contains("btk_abc");
    assertThat(BearerHeader.parse("bearer   btk_abc ").token()).contains("btk_abc");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Basic dXNlcjpwYXNz", "btk_secret", "Bearer", "Bearer ", "Bearer btk_a btk_b",
      "Bearer btk_\u00e9x"})
  void otherHeadersHaveNoTokenAndTheReasonNeverRepeatsThem(String header) {
    BearerHeader.Parsed p = BearerHeader.parse(header);
    assertThat(p.token()).isEmpty();
    assertThat(p.why()).isNotBlank().doesNotContain("btk_").doesNotContain("dXNlcjpwYXNz");
  }

  @Test
  void noHeader() {
    assertThat(BearerHeader.parse(null).why()).isEqualTo("no Authorization header");
  }
}
