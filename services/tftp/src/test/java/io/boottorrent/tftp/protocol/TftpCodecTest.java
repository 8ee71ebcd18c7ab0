package io.boottorrent.tftp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.tftp.protocol.TftpPacket.Ack;
import io.boottorrent.tftp.protocol.TftpPacket.Data;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TftpPacket.WriteRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class TftpCodecTest {

  /** Builds golden bytes the way the RFC diagrams draw them: |opcode|string|0|string|0|... */
  static byte[] packet(int opcode, Object... fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(opcode);
    for (Object field : fields) {
      if (field instanceof String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
      } else if (field instanceof Integer u16) {
        out.write(u16 >>> 8);
        out.write(u16 & 0xFF);
      } else if (field instanceof byte[] raw) {
        out.writeBytes(raw);
      }
    }
    return out.toByteArray();
  }

  static Stream<Arguments> rfcExamples() {
    return Stream.of(
        // RFC 2347 §"Example": |1|foofile|0|octet|0|blksize|0|1432|0|  and the OACK |6|blksize|0|1432|0|
        Arguments.of("RFC 2347 example RRQ", packet(1, "foofile", "octet", "blksize", "1432"),
            new ReadRequest("foofile", TransferMode.OCTET, TransferOptions.of("blksize", "1432"))),
        Arguments.of("RFC 2347 example OACK", packet(6, "blksize", "1432"),
            new OptionAck(TransferOptions.of("blksize", "1432"))),
        Arguments.of("RFC 2347 example ACK of the OACK", new byte[] {0, 4, 0, 0}, new Ack(0)),
        // RFC 2348 §"Blocksize Option Specification": RRQ for "foobar", octet, blksize 1428
        Arguments.of("RFC 2348 example RRQ", packet(1, "foobar", "octet", "blksize", "1428"),
            new ReadRequest("foobar", TransferMode.OCTET, TransferOptions.of("blksize", "1428"))),
        // RFC 2349 §"Timeout Interval Option Specification" / §"Transfer Size Option Specification"
        Arguments.of("RFC 2349 RRQ with timeout and tsize 0", packet(1, "foobar", "octet", "timeout", "5", "tsize", "0"),
            new ReadRequest("foobar", TransferMode.OCTET, TransferOptions.of("timeout", "5", "tsize", "0"))),
        Arguments.of("RFC 2349 OACK with the file's size", packet(6, "tsize", "673312"),
            new OptionAck(TransferOptions.of("tsize", "673312"))),
        // RFC 7440 §3: |opc|filename|0|mode|0|windowsize|0|#blocks|0|
        Arguments.of("RFC 7440 RRQ with windowsize", packet(1, "foobar", "octet", "windowsize", "16"),
            new ReadRequest("foobar", TransferMode.OCTET, TransferOptions.of("windowsize", "16"))),
        // RFC 1350 §5: plain RRQ, WRQ, DATA, ACK, ERROR
        Arguments.of("RFC 1350 RRQ netascii", packet(1, "pxelinux.cfg/default", "netascii"),
            new ReadRequest("pxelinux.cfg/default", TransferMode.NETASCII)),
        Arguments.of("RFC 1350 WRQ", packet(2, "upload.bin", "octet"),
            new WriteRequest("upload.bin", TransferMode.OCTET, TransferOptions.NONE)),
        Arguments.of("RFC 1350 DATA", packet(3, 1, new byte[] {'h', 'i', 0, (byte) 0xFF}),
            new Data(1, new byte[] {'h', 'i', 0, (byte) 0xFF})),
        Arguments.of("RFC 1350 DATA, empty final block", packet(3, 65535), new Data(65535, new byte[0])),
        Arguments.of("RFC 1350 ACK", packet(4, 513), new Ack(513)),
        Arguments.of("RFC 1350 ERROR 1", packet(5, 1, "File not found"),
            ErrorPacket.of(ErrorCode.FILE_NOT_FOUND, "File not found")),
        Arguments.of("RFC 2347 ERROR 8", packet(5, 8, "blksize refused"),
            ErrorPacket.of(ErrorCode.OPTION_NEGOTIATION, "blksize refused")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rfcExamples")
  void decodesGoldenBytesFromTheRfcs(String name, byte[] wire, TftpPacket expected) throws Exception {
    // GIVEN the bytes of an RFC example WHEN decoded THEN the record matches
    assertThat(TftpCodec.decode(wire)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rfcExamples")
  void encodesRecordsToTheRfcGoldenBytes(String name, byte[] wire, TftpPacket packet) {
    assertThat(TftpCodec.encode(packet)).isEqualTo(wire);
  }

  @Test
  void optionNamesAndModesAreCaseInsensitiveAndKeepTheirOrder() throws Exception {
    // GIVEN a request with mixed-case mode and option names (RFC 2347: case-insensitive)
    byte[] wire = packet(1, "boot/ipxe.efi", "OCTET", "TSize", "0", "BLKSIZE", "1468", "WindowSize", "4");
    // WHEN decoded
    ReadRequest rrq = (ReadRequest) TftpCodec.decode(wire);
    // THEN names are lower case, in the order sent, with typed accessors
    assertThat(rrq.mode()).isEqualTo(TransferMode.OCTET);
    assertThat(rrq.options().values().keySet()).containsExactly("tsize", "blksize", "windowsize");
    assertThat(rrq.options().blksize()).hasValue(1468);
    assertThat(rrq.options().windowsize()).hasValue(4);
    assertThat(rrq.options().tsize()).hasValue(0);
    assertThat(rrq.options().timeout()).isEmpty();
  }

  @Test
  void unknownOptionsAreKeptForTheServerToIgnore() throws Exception {
    ReadRequest rrq = (ReadRequest) TftpCodec.decode(packet(1, "f", "octet", "multicast", "", "blksize", "512"));
    assertThat(rrq.options().values()).containsEntry("multicast", "").containsEntry("blksize", "512");
  }

  @Test
  void trailingNulPaddingAfterARequestIsTolerated() throws Exception {
    byte[] padded = packet(1, "undionly.kpxe", "octet", new byte[] {0, 0, 0});
    assertThat(TftpCodec.decode(padded)).isEqualTo(new ReadRequest("undionly.kpxe", TransferMode.OCTET));
  }

  @Test
  void largestDataBlockRoundTrips() throws Exception {
    byte[] payload = new byte[TransferOptions.MAX_BLKSIZE];
    payload[0] = 7;
    payload[payload.length - 1] = 9;
    Data data = new Data(42, payload);
    byte[] wire = TftpCodec.encode(data);
    assertThat(wire).hasSize(4 + 65464);
    assertThat(TftpCodec.decode(wire)).isEqualTo(data);
  }

  @Test
  void dataHeaderMatchesAnEncodedDataPacket() {
    assertThat(TftpCodec.dataHeader(0x1234)).containsExactly(0, 3, 0x12, 0x34);
    assertThat(TftpCodec.encode(new Data(0x1234, new byte[] {1}))).startsWith(TftpCodec.dataHeader(0x1234));
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyErrorCodeRoundTrips(ErrorCode code) throws Exception {
    ErrorPacket error = ErrorPacket.of(code, code.description());
    ErrorPacket decoded = (ErrorPacket) TftpCodec.decode(TftpCodec.encode(error));
    assertThat(decoded.errorCode()).isEqualTo(code);
    assertThat(decoded.code()).isEqualTo(code.ordinal());
    assertThat(decoded.message()).isEqualTo(code.description());
  }

  @Test
  void anUndefinedErrorCodeFromAPeerDecodesAsNotDefinedKeepingTheRawCode() throws Exception {
    ErrorPacket decoded = (ErrorPacket) TftpCodec.decode(packet(5, 42, "odd"));
    assertThat(decoded.code()).isEqualTo(42);
    assertThat(decoded.errorCode()).isEqualTo(ErrorCode.NOT_DEFINED);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("empty datagram", new byte[0], ErrorCode.ILLEGAL_OPERATION, "truncated"),
        Arguments.of("one byte", new byte[] {0}, ErrorCode.ILLEGAL_OPERATION, "truncated"),
        Arguments.of("unknown opcode 7", new byte[] {0, 7, 0, 0}, ErrorCode.ILLEGAL_OPERATION, "unknown opcode 7"),
        Arguments.of("opcode 0", new byte[] {0, 0}, ErrorCode.ILLEGAL_OPERATION, "unknown opcode 0"),
        Arguments.of("RRQ without filename", new byte[] {0, 1}, ErrorCode.ILLEGAL_OPERATION, "filename missing"),
        Arguments.of("RRQ filename without NUL", packet(1, new byte[] {'a', 'b'}), ErrorCode.ILLEGAL_OPERATION,
            "filename is not NUL-terminated"),
        Arguments.of("RRQ without mode", packet(1, "file"), ErrorCode.ILLEGAL_OPERATION, "mode missing"),
        Arguments.of("RRQ mode without NUL", packet(1, "file", new byte[] {'o', 'c'}), ErrorCode.ILLEGAL_OPERATION,
            "mode is not NUL-terminated"),
        Arguments.of("RRQ unknown mode", packet(1, "file", "binary"), ErrorCode.ILLEGAL_OPERATION,
            "unknown transfer mode 'binary'"),
        Arguments.of("NUL trick: second path after the filename's NUL", packet(1, "a.kpxe", "../../etc/passwd", "octet"),
            ErrorCode.ILLEGAL_OPERATION, "unknown transfer mode"),
        Arguments.of("option without value", packet(1, "f", "octet", "blksize"), ErrorCode.ILLEGAL_OPERATION,
            "has no value"),
        Arguments.of("option value without NUL", packet(1, "f", "octet", "blksize", new byte[] {'5'}),
            ErrorCode.ILLEGAL_OPERATION, "not NUL-terminated"),
        Arguments.of("blksize 7 (RFC 2348: 8..65464)", packet(1, "f", "octet", "blksize", "7"),
            ErrorCode.OPTION_NEGOTIATION, "blksize 7 is outside 8..65464"),
        Arguments.of("blksize 65465", packet(1, "f", "octet", "blksize", "65465"), ErrorCode.OPTION_NEGOTIATION,
            "outside 8..65464"),
        Arguments.of("blksize not a number", packet(1, "f", "octet", "blksize", "big"), ErrorCode.OPTION_NEGOTIATION,
            "not a decimal number"),
        Arguments.of("blksize with a sign", packet(1, "f", "octet", "blksize", "+512"), ErrorCode.OPTION_NEGOTIATION,
            "not a decimal number"),
        Arguments.of("timeout 0 (RFC 2349: 1..255)", packet(1, "f", "octet", "timeout", "0"),
            ErrorCode.OPTION_NEGOTIATION, "timeout 0 is outside 1..255"),
        Arguments.of("timeout 256", packet(1, "f", "octet", "timeout", "256"), ErrorCode.OPTION_NEGOTIATION,
            "outside 1..255"),
        Arguments.of("tsize negative", packet(1, "f", "octet", "tsize", "-1"), ErrorCode.OPTION_NEGOTIATION,
            "not a decimal number"),
        Arguments.of("windowsize 0 (RFC 7440: 1..65535)", packet(1, "f", "octet", "windowsize", "0"),
            ErrorCode.OPTION_NEGOTIATION, "windowsize 0 is outside 1..65535"),
        Arguments.of("windowsize 65536", packet(1, "f", "octet", "windowsize", "65536"), ErrorCode.OPTION_NEGOTIATION,
            "outside 1..65535"),
        Arguments.of("duplicate option", packet(1, "f", "octet", "blksize", "512", "BLKSIZE", "1024"),
            ErrorCode.OPTION_NEGOTIATION, "given twice"),
        Arguments.of("control character in mode", packet(1, "f", "oct\u0001et"), ErrorCode.ILLEGAL_OPERATION,
            "non-printable"),
        Arguments.of("filename not UTF-8", packet(1, new byte[] {(byte) 0xC3, 0x28, 0}, "octet"),
            ErrorCode.ILLEGAL_OPERATION, "not valid UTF-8"),
        Arguments.of("DATA without block number", new byte[] {0, 3, 1}, ErrorCode.ILLEGAL_OPERATION, "truncated DATA"),
        Arguments.of("DATA larger than 65464 bytes", packet(3, 1, new byte[65465]), ErrorCode.ILLEGAL_OPERATION,
            "exceeds 65464"),
        Arguments.of("ACK truncated", new byte[] {0, 4, 0}, ErrorCode.ILLEGAL_OPERATION, "truncated ACK"),
        Arguments.of("ACK with trailing bytes", new byte[] {0, 4, 0, 1, 0}, ErrorCode.ILLEGAL_OPERATION, "trailing"),
        Arguments.of("ERROR without code", new byte[] {0, 5, 0}, ErrorCode.ILLEGAL_OPERATION, "truncated ERROR"),
        Arguments.of("ERROR message without NUL", packet(5, 1, new byte[] {'x'}), ErrorCode.ILLEGAL_OPERATION,
            "not NUL-terminated"),
        Arguments.of("ERROR with bytes after the NUL", packet(5, 1, "x", new byte[] {'y'}), ErrorCode.ILLEGAL_OPERATION,
            "trailing"),
        Arguments.of("OACK without options", new byte[] {0, 6}, ErrorCode.ILLEGAL_OPERATION, "OACK without options"),
        Arguments.of("OACK with a bad blksize", packet(6, "blksize", "70000"), ErrorCode.OPTION_NEGOTIATION,
            "outside 8..65464"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void rejectsMalformedPacketsWithTheErrorToAnswer(String name, byte[] wire, ErrorCode answer, String message) {
    // GIVEN a malformed datagram WHEN decoded THEN a MalformedPacketException says why and which ERROR fits
    assertThatThrownBy(() -> TftpCodec.decode(wire))
        .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.errorCode()).isEqualTo(answer))
        .hasMessageContaining(message);
  }

  @Test
  void recordsRefuseValuesTheWireCannotCarry() {
    assertThatThrownBy(() -> new Ack(65536)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Data(-1, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ReadRequest("a\0b", TransferMode.OCTET)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OptionAck(TransferOptions.NONE)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TransferOptions.of("blksize", "4")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dataPayloadIsDefensivelyCopied() {
    byte[] payload = {1, 2, 3};
    Data data = new Data(1, payload);
    payload[0] = 9;
    data.payload()[1] = 9;
    assertThat(data.payload()).containsExactly(1, 2, 3);
  }
}
