package io.boottorrent.tracker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class FailureResponseTest {
  @Test
  void encodesOnlyTheFailureReasonPerBep3() {
    assertThat(new String(new FailureResponse("info_hash 00ff is not a catalog image").encode(), StandardCharsets.UTF_8))
        .isEqualTo("d14:failure reason37:info_hash 00ff is not a catalog imagee");
  }

  @Test
  void addsIntervalAndMinIntervalAsARetryHintInSortedKeyOrder() {
    assertThat(new String(new FailureResponse("retry", OptionalInt.of(5)).encode(), StandardCharsets.UTF_8))
        .isEqualTo("d14:failure reason5:retry8:intervali5e12:min intervali5ee");
  }

  @Test
  void refusesARetryIntervalBelowOneSecond() {
    assertThatThrownBy(() -> new FailureResponse("x", OptionalInt.of(0)))
        .hasMessage("retry interval must be at least 1 s, got 0");
  }
}
