package io.boottorrent.tracker.protocol;

import static io.boottorrent.testsupport.HostileInput.bytes;
import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.onlyThrows;
import static io.boottorrent.testsupport.HostileInput.property;
import static io.boottorrent.testsupport.HostileInput.strings;
import static io.boottorrent.testsupport.HostileInput.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.HostileInput;
import io.boottorrent.testsupport.HostileInput.Entry;
import io.boottorrent.testsupport.HostileInput.Gen;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input for the tracker's codecs (docs/SECURITY.md, "Hostile input"): announce and scrape
 * query strings end in a request or {@link MalformedRequestException}; bencoded bytes in a value or
 * {@link BencodeException}; X-Forwarded-For values from a trusted proxy in an address or
 * MalformedRequestException; address literals and CIDR blocks in an address, empty, or the parser's
 * own IllegalArgumentException — each within a heap budget linear in the input and bounded time.
 * Generated bencode values and address literals survive a round trip.
 */
class TrackerHostileInputTest {
  static final String QUERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz_=&%0123456789ABCDEF+-.:;/?# \u00ff\u0100";

  static List<Entry> corpus(String folder) {
    return HostileInput.corpus(TrackerHostileInputTest.class, "/corpus/" + folder);
  }

  static long budget(int inputLength) {
    return (1L << 20) + 64L * inputLength;
  }

  /** Query strings: the grammar's pieces, good and bad, then mutations of real announces. */
  static Gen<String> queries(List<String> seeds) {
    List<String> pieces = List.of("&", "=", "info_hash=", "peer_id=", "port=", "uploaded=", "downloaded=",
        "left=", "event=", "numwant=", "compact=", "no_peer_id=", "ip=", "key=", "started", "stopped",
        "0", "1", "6881", "65536", "-1", "99999999999999999999", "%", "%4", "%41", "%zz", "%00", "%ff",
        "%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A", "-LT2060-%01%02%03%04%05%06%07%08%09%0A%0B%0C",
        "10.0.0.1", "::1", "fe80::1%25eth0", "\u0100", "+");
    return oneOf(tokens(pieces, 40), strings(QUERY_ALPHABET, 400), mutations(seeds, QueryString.MAX_LENGTH + 64, true));
  }

  static List<String> texts(String folder) {
    return corpus(folder).stream().map(Entry::text).toList();
  }

  static Object announce(String query) throws MalformedRequestException {
    AnnounceRequest r = AnnounceRequest.parse(query, 50, 200);
    assertThat(r.numwant()).isBetween(0, 200);
    assertThat(r.port()).isBetween(1, 65535);
    return r.peerFormat();
  }

  @Test
  @DisplayName("announce query strings: an AnnounceRequest or MalformedRequestException")
  void arbitraryAnnouncesParseOrFailWithTheirOwnError() {
    List<String> seeds = new ArrayList<>(texts("announce"));
    seeds.addAll(texts("scrape"));
    property("AnnounceRequest.parse", queries(seeds))
        .tries(5000)
        .show(HostileInput::quoted)
        .allocationBudget(q -> budget(q.length()))
        .check(onlyThrows(MalformedRequestException.class, TrackerHostileInputTest::announce));
  }

  @Test
  @DisplayName("scrape query strings: a ScrapeRequest or MalformedRequestException")
  void arbitraryScrapesParseOrFailWithTheirOwnError() {
    List<String> seeds = new ArrayList<>(texts("scrape"));
    seeds.addAll(texts("announce"));
    property("ScrapeRequest.parse", queries(seeds))
        .tries(3000)
        .show(HostileInput::quoted)
        .allocationBudget(q -> budget(q.length()))
        .check(onlyThrows(MalformedRequestException.class, q -> {
          ScrapeRequest r = ScrapeRequest.parse(q);
          assertThat(r.infoHashes()).isNotEmpty().hasSizeLessThanOrEqualTo(ScrapeRequest.MAX_INFO_HASHES);
          return r;
        }));
  }

  /** Bencode built from its own tokens (so that lists, dictionaries and lengths nest), or raw bytes. */
  static Gen<byte[]> bencodeBytes(List<byte[]> seeds) {
    List<String> pieces = List.of("l", "d", "e", "i", "i0e", "i-1e", "i-0e", "i01e", "0:", "1:a", "1:b", "2:ab",
        "4:spam", "3:", "9:", "99999999999:", "01:a", "-", ":", "9223372036854775807", "9223372036854775808",
        "i9223372036854775808e", "i-9223372036854775808e", "d1:a", "d1:b0:1:a0:e");
    Gen<byte[]> fromTokens = r -> tokens(pieces, 60).next(r).getBytes(StandardCharsets.ISO_8859_1);
    return oneOf(fromTokens, bytes(300), mutations(seeds, 1 << 16));
  }

  @Test
  @DisplayName("bencoded bytes: a value or BencodeException, whatever the lengths and nesting claim")
  void arbitraryBencodeDecodesOrFailsWithItsOwnError() {
    List<byte[]> seeds = corpus("bencode").stream().map(Entry::bytes).toList();
    property("Bencode.decode", bencodeBytes(seeds))
        .tries(5000)
        .show(HostileInput::hex)
        .allocationBudget(b -> budget(b.length))
        .check(onlyThrows(BencodeException.class, b -> {
          BValue v = Bencode.decode(b);
          // strict decoding: an accepted input has exactly one encoding, the one it came in
          assertThat(Bencode.encode(v)).isEqualTo(b);
          return v;
        }));
  }

  @Test
  @DisplayName("generated bencode values: decode(encode(v)) == v")
  void bencodeValuesRoundTrip() {
    property("Bencode round trip", r -> value(r, 0))
        .tries(2000)
        .check(v -> assertThat(Bencode.decode(Bencode.encode(v))).isEqualTo(v));
  }

  /** X-Forwarded-For values as a (trusted) proxy might pass them on: an address or the tracker's error. */
  @Test
  @DisplayName("X-Forwarded-For from a trusted proxy: an address or MalformedRequestException")
  void arbitraryForwardedForGivesAnAddressOrItsOwnError() throws Exception {
    TrustedProxies proxies = TrustedProxies.parse("tracker.trustedProxies", List.of("10.0.0.0/8", "fd00::/8"));
    InetAddress proxy = InetAddress.getByAddress(new byte[] {10, 0, 0, 1});
    Gen<String> hop = oneOf(strings("0123456789abcdef.:,[] %", 60),
        tokens(List.of("10.0.0.2", ",", " ", "192.0.2.7", "fd00::1", "::ffff:10.1.1.1", "1.2.3", "unknown", "::"), 8));
    property("TrustedProxies.clientAddress", r -> List.of(hop.next(r), hop.next(r)))
        .tries(3000)
        .show(String::valueOf)
        .allocationBudget(values -> budget(values.get(0).length() + values.get(1).length()))
        .check(onlyThrows(MalformedRequestException.class,
            values -> proxies.clientAddress(proxy, Optional.empty(), values)));
  }

  /** Address literals: what parseLiteral accepts is an address the JDK writes back to the same bytes. */
  @Test
  @DisplayName("address literals and CIDR blocks: an address or the parser's own IllegalArgumentException")
  void arbitraryAddressesParseOrFailWithTheParsersOwnError() {
    List<String> seeds = texts("address");
    Gen<String> text = oneOf(strings("0123456789abcdefABCDEF.:/% x", 50), mutations(seeds, 80, true),
        TrackerHostileInputTest::literal);
    property("IpAddresses.parseLiteral / AddressBlock.parse", text)
        .tries(5000)
        .show(HostileInput::quoted)
        .allocationBudget(s -> budget(s.length()))
        .check(s -> {
          Optional<InetAddress> parsed = IpAddresses.parseLiteral(s.contains("/") ? s.substring(0, s.indexOf('/')) : s);
          parsed.ifPresent(a -> assertThat(IpAddresses.parseLiteral(a.getHostAddress())).contains(a));
          try {
            AddressBlock block = AddressBlock.parse(s);
            assertThat(AddressBlock.parse(block.toString())).isEqualTo(block);
          } catch (IllegalArgumentException e) {
            // the parser's own refusal names the text; a NumberFormatException is an escape from the JDK
            assertThat(e.getClass()).isEqualTo(IllegalArgumentException.class);
            assertThat(e.getMessage()).contains(s);
          }
        });
  }

  static Stream<Entry> announceCorpus() {
    return corpus("announce").stream();
  }

  static Stream<Entry> scrapeCorpus() {
    return corpus("scrape").stream();
  }

  static Stream<Entry> bencodeCorpus() {
    return corpus("bencode").stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("announceCorpus")
  @DisplayName("the announce corpus replays under the same contract")
  void announceCorpusReplays(Entry entry) {
    property("AnnounceRequest.parse corpus", r -> entry.text())
        .allocationBudget(q -> budget(q.length()))
        .checkOne(entry.text(), onlyThrows(MalformedRequestException.class, TrackerHostileInputTest::announce),
            entry.name());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scrapeCorpus")
  @DisplayName("the scrape corpus replays under the same contract")
  void scrapeCorpusReplays(Entry entry) {
    property("ScrapeRequest.parse corpus", r -> entry.text())
        .allocationBudget(q -> budget(q.length()))
        .checkOne(entry.text(), onlyThrows(MalformedRequestException.class, ScrapeRequest::parse), entry.name());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bencodeCorpus")
  @DisplayName("the bencode corpus replays under the same contract")
  void bencodeCorpusReplays(Entry entry) {
    property("Bencode.decode corpus", r -> entry.bytes())
        .show(HostileInput::hex)
        .allocationBudget(b -> budget(b.length))
        .checkOne(entry.bytes(), onlyThrows(BencodeException.class, Bencode::decode), entry.name());
  }

  static BValue value(Random r, int depth) {
    int kind = depth >= 4 ? r.nextInt(2) : r.nextInt(4);
    return switch (kind) {
      case 0 -> new BInt(switch (r.nextInt(3)) {
        case 0 -> r.nextLong();
        case 1 -> r.nextInt(100) - 50;
        default -> r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
      });
      case 1 -> {
        byte[] b = new byte[r.nextInt(4) == 0 ? r.nextInt(300) : r.nextInt(6)];
        r.nextBytes(b);
        yield new BBytes(b);
      }
      case 2 -> {
        List<BValue> items = new ArrayList<>();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          items.add(value(r, depth + 1));
        }
        yield new BList(items);
      }
      default -> {
        BDict.Builder d = BDict.builder();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          byte[] key = new byte[r.nextInt(4)];
          r.nextBytes(key);
          d.put(new BBytes(key), value(r, depth + 1));
        }
        yield d.build();
      }
    };
  }

  /** A random valid IPv4 or IPv6 literal, in the JDK's own spelling. */
  static String literal(Random r) {
    byte[] b = new byte[r.nextBoolean() ? 4 : 16];
    r.nextBytes(b);
    try {
      String text = InetAddress.getByAddress(b).getHostAddress();
      return r.nextBoolean() ? text : text + "/" + r.nextInt(130);
    } catch (java.net.UnknownHostException impossible) {
      throw new IllegalStateException(impossible);
    }
  }
}
