package io.boottorrent.testsupport;

import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.property;
import static io.boottorrent.testsupport.HostileInput.strings;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.InfoHash;
import io.boottorrent.core.MacAddress;
import io.boottorrent.core.PeerSource;
import io.boottorrent.testsupport.HostileInput.Entry;
import io.boottorrent.testsupport.HostileInput.Gen;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input for services/core's value types (docs/SECURITY.md, "Hostile input"): a MAC address,
 * info-hash or peer-source key from a request, a config file or an event parses or fails with the
 * type's own IllegalArgumentException naming the text (never a NumberFormatException or an index
 * error from the JDK), and what parses writes back to the same value. Here rather than in core's
 * tests because this module depends on core, not the other way round.
 */
class CoreValueTypesHostileInputTest {
  static final String ALPHABET = "0123456789abcdefABCDEF:-.[]/ web:http+\u00e9\u0660\u0130";

  static List<String> seeds() {
    return HostileInput.corpus(CoreValueTypesHostileInputTest.class, "/corpus/core").stream().map(Entry::text).toList();
  }

  static Gen<String> texts() {
    return oneOf(strings(ALPHABET, 60), mutations(seeds(), 80, false));
  }

  /** The type's own refusal: exactly IllegalArgumentException (NumberFormatException is a subclass). */
  static void ownRefusal(IllegalArgumentException e, String text) {
    assertThat(e.getClass()).as("%s", e).isEqualTo(IllegalArgumentException.class);
    assertThat(e.getMessage()).contains(String.valueOf(text));
  }

  static void checkAll(String text) {
    try {
      MacAddress mac = MacAddress.parse(text);
      assertThat(MacAddress.parse(mac.canonical())).isEqualTo(mac);
      assertThat(MacAddress.of(mac.bytes())).isEqualTo(mac);
    } catch (IllegalArgumentException e) {
      ownRefusal(e, text);
      assertThat(MacAddress.tryParse(text)).isEmpty();
    }
    try {
      InfoHash hash = InfoHash.fromHex(text);
      assertThat(InfoHash.fromHex(hash.hex())).isEqualTo(hash);
    } catch (IllegalArgumentException e) {
      ownRefusal(e, text);
    }
    try {
      PeerSource source = PeerSource.parseKey(text);
      assertThat(PeerSource.parseKey(source.key())).isEqualTo(source);
    } catch (IllegalArgumentException e) {
      assertThat(e.getClass()).as("%s", e).isEqualTo(IllegalArgumentException.class);
    }
  }

  @Test
  @DisplayName("arbitrary text: a MAC / info-hash / peer source, or the type's own IllegalArgumentException")
  void arbitraryTextParsesOrFailsWithTheTypesOwnError() {
    property("MacAddress / InfoHash / PeerSource", texts())
        .tries(5000)
        .show(HostileInput::quoted)
        .allocationBudget(s -> (1L << 20) + 64L * s.length())
        .check(CoreValueTypesHostileInputTest::checkAll);
  }

  static Stream<Entry> corpusEntries() {
    return HostileInput.corpus(CoreValueTypesHostileInputTest.class, "/corpus/core").stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpusEntries")
  @DisplayName("the corpus replays under the same contract")
  void corpusReplays(Entry entry) {
    property("core value types corpus", r -> entry.text())
        .show(HostileInput::quoted)
        .allocationBudget(s -> (1L << 20) + 64L * s.length())
        .checkOne(entry.text(), CoreValueTypesHostileInputTest::checkAll, entry.name());
  }
}
