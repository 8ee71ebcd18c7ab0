package io.boottorrent.tftp.protocol;

import static io.boottorrent.testsupport.HostileInput.bytes;
import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.onlyThrows;
import static io.boottorrent.testsupport.HostileInput.property;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.HostileInput;
import io.boottorrent.testsupport.HostileInput.Entry;
import io.boottorrent.testsupport.HostileInput.Gen;
import io.boottorrent.tftp.protocol.TftpPacket.Ack;
import io.boottorrent.tftp.protocol.TftpPacket.Data;
import io.boottorrent.tftp.protocol.TftpPacket.ErrorPacket;
import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import io.boottorrent.tftp.protocol.TftpPacket.ReadRequest;
import io.boottorrent.tftp.protocol.TftpPacket.Request;
import io.boottorrent.tftp.protocol.TftpPacket.WriteRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input for {@link TftpCodec} and {@link OptionNegotiation} (docs/SECURITY.md, "Hostile
 * input"): any datagram decodes to a packet or throws {@link MalformedPacketException}, in heap
 * linear in the datagram and bounded time; any decoded read request negotiates within the server's
 * limits; generated packets and netascii data survive a round trip.
 */
class TftpHostileInputTest {
  static final int MAX_DATAGRAM = 65_507;
  static final OptionNegotiation.Limits LIMITS = new OptionNegotiation.Limits(1468, 16);

  static List<Entry> corpus() {
    return HostileInput.corpus(TftpHostileInputTest.class, "/corpus/tftp");
  }

  static long budget(byte[] datagram) {
    return (1L << 20) + 16L * datagram.length;
  }

  /** Decodes, and for a read request negotiates as the server would (on a 1 MB file). */
  static Object decodeAndNegotiate(byte[] datagram) throws MalformedPacketException {
    TftpPacket packet = TftpCodec.decode(datagram);
    if (packet instanceof Request r) {
      OptionNegotiation.Result result = OptionNegotiation.forRead(r.options(), r.mode(), 1 << 20, LIMITS);
      assertThat(result.blksize()).isBetween(TransferOptions.MIN_BLKSIZE, LIMITS.maxBlksize());
      assertThat(result.windowsize()).isBetween(1, LIMITS.maxWindowsize());
      result.optionAck().ifPresent(oack -> TftpCodec.encode(oack));
      r.options().tsize();
      r.options().timeout();
    }
    if (packet instanceof ErrorPacket e) {
      e.errorCode();
    }
    return packet;
  }

  /** An opcode, then NUL-terminated strings made of the grammar's words, good and bad. */
  static Gen<byte[]> fieldsOfWords() {
    List<String> words = List.of("", "octet", "netascii", "mail", "OCTET", "blksize", "tsize", "timeout",
        "windowsize", "BlkSize", "0", "1", "8", "7", "512", "1468", "65464", "65465", "65535", "65536", "256",
        "255", "-1", "+1", "99999999999999999999", "9223372036854775807", "1e3", " 1", "x", "pxelinux.0",
        "\u00e9", "\u0001", "\u007f");
    return random -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(random.nextInt(8));
      int fields = random.nextInt(12);
      for (int i = 0; i < fields; i++) {
        out.writeBytes(words.get(random.nextInt(words.size())).getBytes(StandardCharsets.UTF_8));
        if (random.nextInt(10) != 0) {
          out.write(0);
        }
      }
      return out.toByteArray();
    };
  }

  @Test
  @DisplayName("arbitrary datagrams: a packet or MalformedPacketException, linear heap, bounded time")
  void arbitraryDatagramsDecodeOrFailWithTheCodecsOwnError() {
    List<byte[]> seeds = corpus().stream().map(Entry::bytes).toList();
    property("TftpCodec.decode", oneOf(bytes(1500), mutations(seeds, MAX_DATAGRAM), fieldsOfWords()))
        .tries(5000)
        .show(HostileInput::hex)
        .allocationBudget(TftpHostileInputTest::budget)
        .check(onlyThrows(MalformedPacketException.class, TftpHostileInputTest::decodeAndNegotiate));
  }

  @Test
  @DisplayName("generated packets of every kind: decode(encode(p)) == p")
  void validPacketsRoundTrip() {
    property("TftpCodec round trip", TftpHostileInputTest::validPacket)
        .tries(2000)
        .show(String::valueOf)
        .check(p -> assertThat(TftpCodec.decode(TftpCodec.encode(p))).isEqualTo(p));
  }

  @Test
  @DisplayName("netascii: decoding the encoder's blocks gives back the bytes, wherever the blocks cut")
  void netasciiRoundTripsAcrossAnyBlockSize() {
    property("Netascii round trip", bytes(2000))
        .tries(2000)
        .show(HostileInput::hex)
        .check(data -> {
          Random cut = new Random(data.length);
          int blksize = 1 + cut.nextInt(600);
          Netascii.Encoder encoder = new Netascii.Encoder();
          Netascii.Decoder decoder = new Netascii.Decoder();
          ByteBuffer in = ByteBuffer.wrap(data);
          ByteArrayOutputStream back = new ByteArrayOutputStream();
          long wire = 0;
          while (in.hasRemaining() || encoder.hasPending()) {
            ByteBuffer block = ByteBuffer.allocate(blksize);
            encoder.encode(in, block);
            block.flip();
            byte[] chunk = new byte[block.remaining()];
            block.get(chunk);
            wire += chunk.length;
            back.writeBytes(decoder.decode(chunk));
          }
          back.writeBytes(decoder.finish());
          assertThat(back.toByteArray()).isEqualTo(data);
          assertThat(wire).isEqualTo(Netascii.encodedLength(data, 0, data.length));
        });
  }

  static Stream<Entry> corpusEntries() {
    return corpus().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpusEntries")
  @DisplayName("the corpus replays under the same contract")
  void corpusReplays(Entry entry) {
    property("TftpCodec.decode corpus", r -> entry.bytes())
        .show(HostileInput::hex)
        .allocationBudget(TftpHostileInputTest::budget)
        .checkOne(entry.bytes(), onlyThrows(MalformedPacketException.class, TftpHostileInputTest::decodeAndNegotiate),
            entry.name());
  }

  static TftpPacket validPacket(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> new ReadRequest(text(r, 40), mode(r), options(r));
      case 1 -> new WriteRequest(text(r, 40), mode(r), options(r));
      case 2 -> {
        byte[] payload = new byte[r.nextInt(4) == 0 ? r.nextInt(TransferOptions.MAX_BLKSIZE + 1) : r.nextInt(600)];
        r.nextBytes(payload);
        yield new Data(r.nextInt(0x10000), payload);
      }
      case 3 -> new Ack(r.nextInt(0x10000));
      case 4 -> new ErrorPacket(r.nextInt(0x10000), text(r, 80));
      default -> {
        TransferOptions o = options(r);
        yield new OptionAck(o.isEmpty() ? TransferOptions.of("blksize", "512") : o);
      }
    };
  }

  static TransferMode mode(Random r) {
    return TransferMode.values()[r.nextInt(TransferMode.values().length)];
  }

  static TransferOptions options(Random r) {
    Map<String, String> o = new LinkedHashMap<>();
    if (r.nextBoolean()) {
      o.put("blksize", Integer.toString(TransferOptions.MIN_BLKSIZE + r.nextInt(TransferOptions.MAX_BLKSIZE - 7)));
    }
    if (r.nextBoolean()) {
      o.put("tsize", Long.toString(r.nextLong() & Long.MAX_VALUE));
    }
    if (r.nextBoolean()) {
      o.put("timeout", Integer.toString(1 + r.nextInt(255)));
    }
    if (r.nextBoolean()) {
      o.put("windowsize", Integer.toString(1 + r.nextInt(65535)));
    }
    if (r.nextBoolean()) {
      o.put("x-" + Integer.toHexString(r.nextInt()), "v " + r.nextInt());
    }
    return new TransferOptions(o);
  }

  /** Text without NUL, some of it beyond ASCII (file names are UTF-8). */
  static String text(Random r, int max) {
    StringBuilder out = new StringBuilder();
    int len = r.nextInt(max + 1);
    for (int i = 0; i < len; i++) {
      out.appendCodePoint(r.nextInt(8) == 0 ? 0x80 + r.nextInt(0x2000) : 0x20 + r.nextInt(0x5f));
    }
    return out.toString();
  }
}
