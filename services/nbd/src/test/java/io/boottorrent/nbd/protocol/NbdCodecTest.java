package io.boottorrent.nbd.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.nbd.protocol.ClientMessage.ClientFlags;
import io.boottorrent.nbd.protocol.ClientMessage.Option;
import io.boottorrent.nbd.protocol.ClientMessage.Request;
import io.boottorrent.nbd.protocol.NbdCodec.BlockSizes;
import io.boottorrent.nbd.protocol.Negotiation.Export;
import io.boottorrent.nbd.protocol.Negotiation.Next;
import io.boottorrent.nbd.protocol.Negotiation.Outcome;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Golden bytes from the NBD spec (doc/proto.md), every option and command path, incremental decoding. */
class NbdCodecTest {
  static final Export EXPORT = new Export("boot", 1 << 20, new BlockSizes(1, 4096, 32 << 20));
  static final HexFormat HEX = HexFormat.of();

  static byte[] option(int opt, byte[] data) {
    return ByteBuffer.allocate(16 + data.length).putLong(Nbd.IHAVEOPT).putInt(opt).putInt(data.length).put(data).array();
  }

  static byte[] info(String name, int... infos) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length).putInt(n.length).put(n)
        .putShort((short) infos.length);
    for (int i : infos) {
      b.putShort((short) i);
    }
    return b.array();
  }

  static byte[] request(int flags, int type, long handle, long offset, int length) {
    return ByteBuffer.allocate(28).putInt(Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
        .putLong(handle).putLong(offset).putInt(length).array();
  }

  static byte[] cat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Decodes {@code wire} fed in chunks of {@code chunk} bytes, moving to transmission after GO/EXPORT_NAME. */
  static List<ClientMessage> decodeAll(byte[] wire, int chunk) throws NbdProtocolException {
    NbdDecoder d = new NbdDecoder();
    List<ClientMessage> out = new ArrayList<>();
    for (int i = 0; i < wire.length; i += chunk) {
      d.feed(wire, i, Math.min(chunk, wire.length - i));
      ClientMessage m;
      while ((m = d.next()) != null) {
        out.add(m);
        if (m instanceof Option o && (o.option() == Nbd.OPT_GO || o.option() == Nbd.OPT_EXPORT_NAME)) {
          d.startTransmission();
        }
      }
    }
    return out;
  }

  @Test
  @DisplayName("greeting: NBDMAGIC, IHAVEOPT, FIXED_NEWSTYLE|NO_ZEROES (spec: fixed newstyle negotiation)")
  void greetingGoldenBytes() {
    assertThat(HEX.formatHex(NbdCodec.greeting())).isEqualTo("4e42444d41474943" + "49484156454f5054" + "0003");
  }

  @Test
  @DisplayName("replies: option reply magic 0x3e889045565a9, simple reply magic 0x67446698")
  void replyGoldenBytes() {
    assertThat(HEX.formatHex(NbdCodec.optionReply(Nbd.OPT_GO, Nbd.REP_ACK, new byte[0])))
        .isEqualTo("0003e889045565a9" + "00000007" + "00000001" + "00000000");
    assertThat(HEX.formatHex(NbdCodec.simpleReply(Nbd.EIO, 0x0102030405060708L)))
        .isEqualTo("67446698" + "00000005" + "0102030405060708");
    assertThat(HEX.formatHex(NbdCodec.infoExport(Nbd.OPT_GO, 1 << 20, Export.TRANSMISSION_FLAGS)))
        .isEqualTo("0003e889045565a9" + "00000007" + "00000003" + "0000000c" + "0000" + "0000000000100000" + "0107");
    assertThat(HEX.formatHex(NbdCodec.infoBlockSize(Nbd.OPT_INFO, new BlockSizes(1, 4096, 32 << 20))))
        .isEqualTo("0003e889045565a9" + "00000006" + "00000003" + "0000000e" + "0003" + "00000001" + "00001000"
            + "02000000");
    assertThat(HEX.formatHex(NbdCodec.serverReply("boot")))
        .isEqualTo("0003e889045565a9" + "00000003" + "00000002" + "00000008" + "00000004" + "626f6f74");
  }

  @Test
  @DisplayName("transmission flags: HAS_FLAGS, READ_ONLY, SEND_FLUSH, CAN_MULTI_CONN and nothing that writes")
  void transmissionFlags() {
    assertThat(Export.TRANSMISSION_FLAGS).isEqualTo(0x0107);
  }

  @Test
  @DisplayName("EXPORT_NAME: size, flags and 124 zeroes, or without them when the client asked NO_ZEROES")
  void exportName() {
    Outcome plain = Negotiation.answer(new Option(Nbd.OPT_EXPORT_NAME, "boot".getBytes()), EXPORT, false);
    assertThat(plain.next()).isEqualTo(Next.TRANSMIT);
    assertThat(plain.reply()).hasSize(134);
    assertThat(HEX.formatHex(plain.reply(), 0, 10)).isEqualTo("0000000000100000" + "0107");
    assertThat(plain.reply()).endsWith(new byte[124]);
    Outcome noZeroes = Negotiation.answer(new Option(Nbd.OPT_EXPORT_NAME, new byte[0]), EXPORT, true);
    assertThat(noZeroes.next()).isEqualTo(Next.TRANSMIT); // "" is the default export
    assertThat(noZeroes.reply()).hasSize(10);
    Outcome unknown = Negotiation.answer(new Option(Nbd.OPT_EXPORT_NAME, "other".getBytes()), EXPORT, true);
    assertThat(unknown.next()).isEqualTo(Next.CLOSE); // EXPORT_NAME has no error reply
    assertThat(unknown.reply()).isEmpty();
    Outcome tooLong = Negotiation.answer(new Option(Nbd.OPT_EXPORT_NAME, new byte[4097]), EXPORT, true);
    assertThat(tooLong.next()).isEqualTo(Next.CLOSE);
  }

  @Test
  @DisplayName("GO: INFO_EXPORT, INFO_BLOCK_SIZE when asked, unknown info types ignored, ACK, then transmission")
  void go() {
    Outcome o = Negotiation.answer(new Option(Nbd.OPT_GO, info("boot", Nbd.INFO_BLOCK_SIZE, 0x7777, Nbd.INFO_NAME)),
        EXPORT, true);
    assertThat(o.next()).isEqualTo(Next.TRANSMIT);
    assertThat(o.reply()).isEqualTo(cat(NbdCodec.infoExport(Nbd.OPT_GO, 1 << 20, 0x0107),
        NbdCodec.infoBlockSize(Nbd.OPT_GO, EXPORT.blockSizes()), NbdCodec.optionReply(Nbd.OPT_GO, Nbd.REP_ACK,
            new byte[0])));
    Outcome noBlockSize = Negotiation.answer(new Option(Nbd.OPT_GO, info("")), EXPORT, true);
    assertThat(noBlockSize.reply()).isEqualTo(cat(NbdCodec.infoExport(Nbd.OPT_GO, 1 << 20, 0x0107),
        NbdCodec.optionReply(Nbd.OPT_GO, Nbd.REP_ACK, new byte[0])));
  }

  @Test
  @DisplayName("INFO: the same answers as GO, but haggling goes on")
  void info() {
    Outcome o = Negotiation.answer(new Option(Nbd.OPT_INFO, info("boot", Nbd.INFO_EXPORT)), EXPORT, true);
    assertThat(o.next()).isEqualTo(Next.CONTINUE);
    assertThat(o.reply()).isEqualTo(cat(NbdCodec.infoExport(Nbd.OPT_INFO, 1 << 20, 0x0107),
        NbdCodec.optionReply(Nbd.OPT_INFO, Nbd.REP_ACK, new byte[0])));
  }

  static int replyType(byte[] reply) {
    return ByteBuffer.wrap(reply).getInt(12);
  }

  @ParameterizedTest(name = "option {0}: {1} -> reply type 0x{2}")
  @CsvSource({
      "7, unknown export, 80000006",
      "6, unknown export, 80000006",
      "7, name over 4096 bytes, 80000009",
      "7, truncated data, 80000003",
      "7, info count disagrees with the data, 80000003",
      "3, LIST with data, 80000003",
      "8, STRUCTURED_REPLY (simple replies only), 80000001",
      "5, STARTTLS, 80000001",
      "9, LIST_META_CONTEXT, 80000001",
      "10, SET_META_CONTEXT, 80000001",
      "11, EXTENDED_HEADERS, 80000001",
      "4242, an unknown option, 80000001",
  })
  @DisplayName("option errors")
  void optionErrors(int opt, String what, String type) {
    byte[] data = switch (what) {
      case "unknown export" -> info("nope");
      case "name over 4096 bytes" -> ByteBuffer.allocate(4 + 4097 + 2).putInt(4097).array();
      case "truncated data" -> new byte[] {0, 0, 0, 9, 'b'};
      case "info count disagrees with the data" -> cat(info("boot"), new byte[] {0});
      case "LIST with data" -> new byte[] {1};
      default -> new byte[0];
    };
    Outcome o = Negotiation.answer(new Option(opt, data), EXPORT, true);
    assertThat(o.next()).isEqualTo(Next.CONTINUE);
    assertThat(Integer.toHexString(replyType(o.reply()))).isEqualTo(type);
    assertThat(ByteBuffer.wrap(o.reply()).getInt(8)).isEqualTo(opt);
  }

  @Test
  @DisplayName("LIST: one NBD_REP_SERVER with the export's name, then ACK; ABORT: ACK and close")
  void listAndAbort() {
    Outcome list = Negotiation.answer(new Option(Nbd.OPT_LIST, new byte[0]), EXPORT, true);
    assertThat(list.reply()).isEqualTo(cat(NbdCodec.serverReply("boot"),
        NbdCodec.optionReply(Nbd.OPT_LIST, Nbd.REP_ACK, new byte[0])));
    assertThat(list.next()).isEqualTo(Next.CONTINUE);
    Outcome abort = Negotiation.answer(new Option(Nbd.OPT_ABORT, new byte[0]), EXPORT, true);
    assertThat(abort.reply()).isEqualTo(NbdCodec.optionReply(Nbd.OPT_ABORT, Nbd.REP_ACK, new byte[0]));
    assertThat(abort.next()).isEqualTo(Next.CLOSE);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "read of the first byte, 0, 0, 1, 0",
      "read of the whole export, 0, 0, 1048576, 0",
      "read of the last byte, 0, 1048575, 1, 0",
      "read past the end, 0, 1048575, 2, 22",
      "read at the end, 0, 1048576, 1, 22",
      "read at a negative (over 2^63) offset, 0, -1, 1, 22",
      "read of zero bytes, 0, 0, 0, 22",
      "read of 4 GiB - 1 (over the max block size and the export), 0, 0, -1, 22",
      "write, 1, 0, 512, 1",
      "trim, 4, 0, 512, 1",
      "write zeroes, 6, 0, 512, 1",
      "flush (a no-op), 3, 0, 0, 0",
      "cache (not negotiated), 5, 0, 512, 22",
      "block status (not negotiated), 7, 0, 512, 22",
      "unknown command, 99, 0, 512, 22",
  })
  @DisplayName("request errors")
  void requestErrors(String what, int type, long offset, int length, int error) {
    assertThat(Negotiation.error(new Request(0, type, 1, offset, length), EXPORT)).isEqualTo(error);
  }

  @ParameterizedTest(name = "command {0} with flags 0x{1}: error {2}")
  @CsvSource({"0, 1, 22", "0, 4, 22", "0, 8000, 22", "3, 1, 22", "1, 1, 1", "4, 1, 1"})
  @DisplayName("command flags: none negotiated, so a read or flush with any flag is EINVAL (spec: error values)")
  void commandFlags(int type, String flags, int error) {
    Request r = new Request(Integer.parseInt(flags, 16), type, 1, 0, type == Nbd.CMD_FLUSH ? 0 : 512);
    assertThat(Negotiation.error(r, EXPORT)).isEqualTo(error);
  }

  @Test
  @DisplayName("read over the advertised maximum block size inside a big export: EINVAL")
  void readOverMaxBlockSize() {
    Export big = new Export("big", 1L << 40, new BlockSizes(1, 4096, 32 << 20));
    assertThat(Negotiation.error(new Request(0, Nbd.CMD_READ, 1, 0, (32 << 20) + 1), big)).isEqualTo(Nbd.EINVAL);
    assertThat(Negotiation.error(new Request(0, Nbd.CMD_READ, 1, 0, 32 << 20), big)).isZero();
  }

  static byte[] session() {
    byte[] payload = new byte[1000];
    payload[0] = 0x55;
    return cat(new byte[] {0, 0, 0, 3}, option(Nbd.OPT_LIST, new byte[0]),
        option(Nbd.OPT_GO, info("boot", Nbd.INFO_BLOCK_SIZE)),
        request(0, Nbd.CMD_READ, 7, 4096, 512), request(0, Nbd.CMD_WRITE, 8, 0, payload.length), payload,
        request(1, Nbd.CMD_FLUSH, 9, 0, 0), request(0, Nbd.CMD_DISC, 10, 0, 0));
  }

  static final List<ClientMessage> SESSION = List.of(new ClientFlags(3), new Option(Nbd.OPT_LIST, new byte[0]),
      new Option(Nbd.OPT_GO, info("boot", Nbd.INFO_BLOCK_SIZE)), new Request(0, Nbd.CMD_READ, 7, 4096, 512),
      new Request(0, Nbd.CMD_WRITE, 8, 0, 1000), new Request(1, Nbd.CMD_FLUSH, 9, 0, 0),
      new Request(0, Nbd.CMD_DISC, 10, 0, 0));

  @ParameterizedTest(name = "chunks of {0} bytes")
  @CsvSource({"1", "2", "3", "7", "16", "27", "28", "29", "500", "100000"})
  @DisplayName("a whole session decodes the same whatever the chunking; a write's payload is skipped")
  void incrementalDecoding(int chunk) throws NbdProtocolException {
    assertThat(decodeAll(session(), chunk)).isEqualTo(SESSION);
  }

  @Test
  @DisplayName("a write's payload is not buffered: feeding it leaves nothing in the decoder")
  void writePayloadIsSkippedNotBuffered() throws NbdProtocolException {
    NbdDecoder d = new NbdDecoder();
    d.feed(new byte[] {0, 0, 0, 1});
    d.next();
    d.startTransmission();
    d.feed(request(0, Nbd.CMD_WRITE, 1, 0, -1)); // 4 GiB - 1 announced
    assertThat(d.next()).isEqualTo(new Request(0, Nbd.CMD_WRITE, 1, 0, -1));
    assertThat(d.skipping()).isEqualTo(0xffffffffL);
    for (int i = 0; i < 100; i++) {
      d.feed(new byte[65536]);
    }
    assertThat(d.buffered()).isZero();
    assertThat(d.skipping()).isEqualTo(0xffffffffL - 100 * 65536L);
  }

  @Test
  @DisplayName("hostile: unknown client flags, bad option magic, option over the cap, bad request magic")
  void hostileInputIsRefusedWithClearErrors() throws NbdProtocolException {
    assertThatThrownBy(() -> decodeAll(new byte[] {0, 0, 0, 4}, 4)).isInstanceOf(NbdProtocolException.class)
        .hasMessage("unknown client flags 0x4");
    byte[] badMagic = cat(new byte[] {0, 0, 0, 1}, ByteBuffer.allocate(16).putLong(0x1122334455667788L).array());
    assertThatThrownBy(() -> decodeAll(badMagic, 1)).hasMessageContaining("option request magic 0x1122334455667788");
    // 4 GiB - 1 claimed: refused from the header alone, before any data arrives
    byte[] huge = cat(new byte[] {0, 0, 0, 1}, ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(7).putInt(-1).array());
    assertThatThrownBy(() -> decodeAll(huge, 1)).hasMessage("option 7 claims 4294967295 bytes of data, over the cap of 16384");
    byte[] badRequest = cat(new byte[] {0, 0, 0, 1}, option(Nbd.OPT_GO, info("boot")), new byte[28]);
    assertThatThrownBy(() -> decodeAll(badRequest, 5)).hasMessage("request magic 0x0, not 0x25609513");
    // the cap itself is allowed
    assertThat(decodeAll(cat(new byte[] {0, 0, 0, 1}, option(4242, new byte[NbdDecoder.MAX_OPTION_DATA])), 999))
        .hasSize(2);
  }

  @Test
  @DisplayName("option data parsers: a name of exactly 4096 bytes is fine, non-UTF-8 names are refused")
  void nameLimits() throws NbdProtocolException {
    String max = "x".repeat(4096);
    assertThat(NbdCodec.parseInfoRequest(info(max)).name()).isEqualTo(max);
    assertThat(NbdCodec.parseExportName(max.getBytes())).isEqualTo(max);
    assertThatThrownBy(() -> NbdCodec.parseExportName(new byte[] {(byte) 0xff}))
        .hasMessage("export name is not UTF-8");
    assertThat(NbdCodec.parseInfoRequest(info("boot", 3, 0, 65535)).infos()).containsExactly(3, 0, 65535);
  }
}
