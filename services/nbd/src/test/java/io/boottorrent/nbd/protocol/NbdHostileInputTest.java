package io.boottorrent.nbd.protocol;

import static io.boottorrent.testsupport.HostileInput.bytes;
import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.onlyThrows;
import static io.boottorrent.testsupport.HostileInput.property;

import io.boottorrent.nbd.protocol.ClientMessage.Option;
import io.boottorrent.nbd.protocol.ClientMessage.Request;
import io.boottorrent.testsupport.HostileInput;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hostile input for {@link NbdDecoder} and {@link Negotiation}: any byte stream, in any chunking,
 * decodes to messages or throws {@link NbdProtocolException}, with heap linear in the input (never
 * what a length field claims) and bounded time; every decoded option gets an answer.
 */
class NbdHostileInputTest {
  static long budget(byte[] input) {
    return (1L << 20) + 16L * input.length;
  }

  /** Feeds {@code wire} in random chunks, answering options as the server does. */
  static Object serve(byte[] wire) throws NbdProtocolException {
    Random cut = new Random(wire.length);
    NbdDecoder d = new NbdDecoder();
    int i = 0;
    while (i < wire.length) {
      int n = 1 + cut.nextInt(Math.min(64, wire.length - i));
      d.feed(wire, i, n);
      i += n;
      ClientMessage m;
      while ((m = d.next()) != null) {
        if (m instanceof Option o) {
          Negotiation.Outcome out = Negotiation.answer(o, NbdCodecTest.EXPORT, true);
          if (out.next() == Negotiation.Next.TRANSMIT) {
            d.startTransmission();
          } else if (out.next() == Negotiation.Next.CLOSE) {
            return out;
          }
        } else if (m instanceof Request r) {
          Negotiation.error(r, NbdCodecTest.EXPORT);
        }
      }
    }
    return d;
  }

  @Test
  @DisplayName("arbitrary streams and mutated sessions: messages or NbdProtocolException, linear heap, bounded time")
  void arbitraryInput() {
    List<byte[]> seeds = List.of(NbdCodecTest.session(),
        NbdCodecTest.cat(new byte[] {0, 0, 0, 3}, NbdCodecTest.option(Nbd.OPT_EXPORT_NAME, "boot".getBytes()),
            NbdCodecTest.request(0, Nbd.CMD_READ, 1, 0, 4096)),
        NbdCodecTest.cat(new byte[] {0, 0, 0, 1}, NbdCodecTest.option(Nbd.OPT_INFO, NbdCodecTest.info("boot", 3)),
            NbdCodecTest.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]), NbdCodecTest.option(Nbd.OPT_ABORT, new byte[0])));
    property("NbdDecoder+Negotiation", oneOf(bytes(2000), mutations(seeds, 20_000)))
        .tries(5000)
        .show(HostileInput::hex)
        .allocationBudget(NbdHostileInputTest::budget)
        .check(onlyThrows(NbdProtocolException.class, NbdHostileInputTest::serve));
  }

  @Test
  @DisplayName("option data parsers on arbitrary bytes: a request or NbdProtocolException")
  void optionDataParsers() {
    property("NbdCodec.parseInfoRequest", bytes(5000))
        .tries(3000)
        .show(HostileInput::hex)
        .allocationBudget(NbdHostileInputTest::budget)
        .check(onlyThrows(NbdProtocolException.class, NbdCodec::parseInfoRequest));
  }
}
