package io.boottorrent.tracker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QueryStringTest {
  @Test
  void decodesABinaryInfoHashMixingEscapesAndLiteralBytes() throws MalformedRequestException {
    // GIVEN the info_hash example of the BitTorrent spec (wiki.theory.org): hash 123456789abcdef1…9a,
    // some bytes sent as themselves ("4Vx", "#Eg"), the rest percent-escaped
    String raw = "info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A";

    // WHEN parsed THEN the 20 raw bytes come back
    byte[] hash = QueryString.parse(raw).single("info_hash").orElseThrow();
    assertThat(HexFormat.of().formatHex(hash)).isEqualTo("123456789abcdef123456789abcdef123456789a");
  }

  @Test
  void keepsPlusAsALiteralByteNotASpace() throws MalformedRequestException {
    // GIVEN a '+' in a binary parameter WHEN decoded THEN it is byte 0x2B (RFC 3986, not HTML forms)
    assertThat(QueryString.parse("x=a+b").single("x").orElseThrow()).containsExactly('a', '+', 'b');
  }

  @Test
  void returnsEveryValueOfARepeatedParameterInOrder() throws MalformedRequestException {
    // GIVEN a parameter given three times, mixed with others and an empty pair
    QueryString query = QueryString.parse("h=a&other=1&&h=b&h=%63");

    // WHEN all values are asked for THEN they come in request order
    assertThat(query.all("h")).containsExactly(new byte[] {'a'}, new byte[] {'b'}, new byte[] {'c'});
  }

  @Test
  void refusesToPickOneOfSeveralValues() throws MalformedRequestException {
    // GIVEN a single-valued parameter given twice WHEN read THEN it is refused, not guessed
    QueryString query = QueryString.parse("port=1&port=2");
    assertThatThrownBy(() -> query.single("port"))
        .isInstanceOf(MalformedRequestException.class)
        .hasMessage("port given more than once");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"x=%", "x=%4", "x=%G1", "x=%4g", "x=ab%", "x=%%41"})
  void refusesBadPercentEscapesNamingTheParameter(String raw) throws MalformedRequestException {
    // GIVEN a value with a broken escape WHEN it is read THEN the failure names the parameter
    QueryString query = QueryString.parse(raw);
    assertThatThrownBy(() -> query.single("x"))
        .isInstanceOf(MalformedRequestException.class)
        .hasMessage("x: bad percent escape");
  }

  @Test
  void ignoresBadEscapesInParametersNobodyReads() throws MalformedRequestException {
    // GIVEN a client-specific parameter with a broken escape next to a good one
    QueryString query = QueryString.parse("vendor=%zz&port=6881");

    // WHEN the good one is read THEN it decodes normally
    assertThat(query.text("port")).contains("6881");
  }

  @Test
  void treatsMissingOrEmptyQueryAsNoParameters() throws MalformedRequestException {
    assertThat(QueryString.parse(null).single("info_hash")).isEmpty();
    assertThat(QueryString.parse("").all("info_hash")).isEmpty();
  }

  @Test
  void treatsANameWithoutEqualsAsAnEmptyValue() throws MalformedRequestException {
    assertThat(QueryString.parse("compact&port=1").text("compact")).contains("");
  }

  @Test
  void refusesAnOverlongQuery() {
    // GIVEN a query longer than the limit WHEN parsed THEN it is refused before any decoding
    String raw = "x=" + "a".repeat(QueryString.MAX_LENGTH);
    assertThatThrownBy(() -> QueryString.parse(raw))
        .isInstanceOf(MalformedRequestException.class)
        .hasMessageContaining("longer than");
  }
}
