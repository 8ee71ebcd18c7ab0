package io.boottorrent.tracker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BencodeTest {
  private static byte[] bytes(String ascii) {
    return ascii.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The examples of BEP 3 "bencoding", with the value each stands for. */
  static Stream<Arguments> bep3Examples() {
    return Stream.of(
        Arguments.of("4:spam", BBytes.of("spam")),
        Arguments.of("0:", BBytes.of("")),
        Arguments.of("i3e", new BInt(3)),
        Arguments.of("i-3e", new BInt(-3)),
        Arguments.of("i0e", new BInt(0)),
        Arguments.of("l4:spam4:eggse", BList.of(BBytes.of("spam"), BBytes.of("eggs"))),
        Arguments.of("d3:cow3:moo4:spam4:eggse", BDict.builder().put("cow", "moo").put("spam", "eggs").build()),
        Arguments.of("d4:spaml1:a1:bee",
            BDict.builder().put("spam", BList.of(BBytes.of("a"), BBytes.of("b"))).build()));
  }

  @ParameterizedTest(name = "BEP 3: {0}")
  @MethodSource("bep3Examples")
  void decodesBep3ExamplesToTheirValues(String wire, BValue value) throws BencodeException {
    // GIVEN the wire form of a BEP 3 example WHEN decoded THEN it is the value BEP 3 says
    assertThat(Bencode.decode(bytes(wire))).isEqualTo(value);
  }

  @ParameterizedTest(name = "BEP 3: {0}")
  @MethodSource("bep3Examples")
  void encodesBep3ExamplesToTheirExactBytes(String wire, BValue value) {
    // GIVEN a BEP 3 example value WHEN encoded THEN the bytes are exactly the example's
    assertThat(Bencode.encode(value)).isEqualTo(bytes(wire));
  }

  @Test
  void encodesDictionaryKeysInUnsignedByteOrderWhateverTheInsertionOrder() {
    // GIVEN keys added out of order, one of them a non-ASCII byte (0xff sorts after 'z', unsigned)
    BDict dict = BDict.builder()
        .put(new BBytes(new byte[] {(byte) 0xff}), new BInt(1))
        .put("zebra", 2)
        .put("apple", 3)
        .build();

    // WHEN encoded
    byte[] wire = Bencode.encode(dict);

    // THEN the keys appear sorted as raw bytes
    byte[] expected = new byte[] {'d', '5', ':', 'a', 'p', 'p', 'l', 'e', 'i', '3', 'e',
        '5', ':', 'z', 'e', 'b', 'r', 'a', 'i', '2', 'e', '1', ':', (byte) 0xff, 'i', '1', 'e', 'e'};
    assertThat(wire).isEqualTo(expected);
  }

  @Test
  void roundTripsBinaryStringsAndExtremeIntegersInNestedStructures() throws BencodeException {
    // GIVEN a nested value with every byte value and both ends of the long range
    byte[] everyByte = new byte[256];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = (byte) i;
    }
    BValue value = BDict.builder()
        .put("binary", everyByte)
        .put("list", BList.of(new BInt(Long.MAX_VALUE), new BInt(Long.MIN_VALUE), BList.of(), BDict.builder().build()))
        .put("text", "grüße")
        .build();

    // WHEN encoded and decoded again THEN the same value comes back, and re-encodes to the same bytes
    byte[] wire = Bencode.encode(value);
    BValue decoded = Bencode.decode(wire);
    assertThat(decoded).isEqualTo(value);
    assertThat(Bencode.encode(decoded)).isEqualTo(wire);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("", "unexpected end of input"),
        Arguments.of("x", "unexpected byte 0x78"),
        Arguments.of("i03e", "leading zero"),
        Arguments.of("i-0e", "negative zero"),
        Arguments.of("ie", "integer without digits"),
        Arguments.of("i-e", "integer without digits"),
        Arguments.of("i1.5e", "in integer"),
        Arguments.of("i+1e", "in integer"),
        Arguments.of("i12", "unexpected end of input"),
        Arguments.of("i9223372036854775808e", "does not fit 64 bits"),
        Arguments.of("i-9223372036854775809e", "does not fit 64 bits"),
        Arguments.of("03:abc", "leading zero"),
        Arguments.of("-1:a", "unexpected byte 0x2d"),
        Arguments.of("5:spam", "runs past the end"),
        Arguments.of("4spam", "in string length"),
        Arguments.of("99999999999999999999:a", "exceeds the input"),
        Arguments.of("l4:spam", "unexpected end of input"),
        Arguments.of("d3:cow3:moo", "unexpected end of input"),
        Arguments.of("d3:cowe", "unexpected byte 0x65"),
        Arguments.of("d4:spam4:eggs3:cow3:mooe", "strictly ascending"),
        Arguments.of("d3:cow1:a3:cow1:be", "strictly ascending"),
        Arguments.of("di1e1:ae", "not a byte string"),
        Arguments.of("4:spamX", "trailing data"),
        Arguments.of("i1ei2e", "trailing data"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("malformed")
  void refusesMalformedInputWithAReason(String wire, String reason) {
    // GIVEN malformed bencode WHEN decoded THEN a BencodeException names the problem
    assertThatThrownBy(() -> Bencode.decode(bytes(wire)))
        .isInstanceOf(BencodeException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void reportsTheOffsetWhereDecodingStopped() {
    // GIVEN a list whose third item is bad WHEN decoded THEN the offset points at that item
    assertThatThrownBy(() -> Bencode.decode(bytes("li1ei2ex")))
        .isInstanceOfSatisfying(BencodeException.class, e -> assertThat(e.offset()).isEqualTo(7));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"l", "d1:a"})
  void refusesNestingBombsWithoutOverflowingTheStack(String opener) {
    // GIVEN 100 000 nested lists (or dictionaries), far deeper than any tracker message
    String bomb = opener.repeat(100_000);

    // WHEN decoded THEN the depth limit stops it with a BencodeException, not a StackOverflowError
    assertThatThrownBy(() -> Bencode.decode(bytes(bomb)))
        .isInstanceOf(BencodeException.class)
        .hasMessageContaining("nesting deeper than " + Bencode.DEFAULT_MAX_DEPTH);
  }

  @Test
  void acceptsNestingUpToTheLimitExactly() throws BencodeException {
    // GIVEN lists nested exactly to the limit, and one deeper
    int limit = 4;
    String atLimit = "l".repeat(limit) + "e".repeat(limit);
    String beyond = "l".repeat(limit + 1) + "e".repeat(limit + 1);

    // WHEN decoded with that limit THEN the first is accepted and the second refused
    assertThat(Bencode.decode(bytes(atLimit), limit, 1024)).isInstanceOf(BList.class);
    assertThatThrownBy(() -> Bencode.decode(bytes(beyond), limit, 1024)).isInstanceOf(BencodeException.class);
  }

  @Test
  void refusesInputLongerThanTheLengthLimitBeforeParsing() {
    // GIVEN a well-formed 12-byte string value WHEN the limit is 8 bytes THEN it is refused up front
    assertThatThrownBy(() -> Bencode.decode(bytes("9:123456789"), 8, 8))
        .isInstanceOf(BencodeException.class)
        .hasMessageContaining("exceeds the limit of 8");
  }
}
