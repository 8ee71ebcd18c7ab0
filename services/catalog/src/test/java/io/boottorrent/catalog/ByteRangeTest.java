package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 9110 §14.1.2 byte-range specs against a 1000-byte file. */
class ByteRangeTest {
  static final long SIZE = 1000;

  @ParameterizedTest(name = "{0} → {1}+{2}")
  @CsvSource(delimiter = '|', value = {
      "bytes=0-99       | 0   | 100",
      "bytes=100-199    | 100 | 100",
      "bytes=999-999    | 999 | 1",
      "bytes=900-       | 900 | 100",
      "bytes=900-5000   | 900 | 100",  // last-pos beyond the end is clamped (§14.1.2)
      "bytes=-10        | 990 | 10",   // suffix range
      "bytes=-5000      | 0   | 1000",
      "bytes = 5 - 9    | 5   | 5",
      "bytes=0-         | 0   | 1000"})
  void aSingleRangeIsServedAs206(String header, long offset, long length) {
    ByteRange r = ByteRange.parse(header, SIZE);
    assertThat(r).isEqualTo(new ByteRange(offset, length, true, true));
    assertThat(r.contentRange(SIZE)).isEqualTo("bytes " + offset + "-" + (offset + length - 1) + "/1000");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=1000-", "bytes=5000-6000", "bytes=-0"})
  void aRangeStartingPastTheEndIsUnsatisfiable(String header) {
    assertThat(ByteRange.parse(header, SIZE).satisfiable()).isFalse();
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "bytes=0-1,5-9", "items=0-9", "bytes=9-0", "bytes=-", "bytes=abc",
      "bytes=99999999999999999999-"})
  void noRangeOrOneWeDoNotHonourServesTheWholeFile(String header) {
    assertThat(ByteRange.parse(header, SIZE)).isEqualTo(new ByteRange(0, SIZE, false, true));
  }
}
