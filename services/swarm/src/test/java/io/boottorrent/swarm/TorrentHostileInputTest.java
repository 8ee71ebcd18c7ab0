package io.boottorrent.swarm;

import static io.boottorrent.testsupport.HostileInput.bytes;
import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.onlyThrows;
import static io.boottorrent.testsupport.HostileInput.property;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.HostileInput;
import io.boottorrent.testsupport.HostileInput.Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input for the .torrent the agent is handed (docs/SECURITY.md, "Hostile input"):
 * {@link TorrentFactory#infoHash}, libtorrent's bdecode through libtorrent4j, answers a 40-hex
 * info-hash or throws IllegalArgumentException (which AgentVerticle.checkInfoHash turns into a
 * refusal), in bounded time, for whatever bytes the catalog (or whoever sits in between) sends.
 * The heap measured is the JVM's; libtorrent's native allocations are not counted.
 */
class TorrentHostileInputTest {
  @TempDir
  static Path dir;

  static List<Entry> corpus() {
    return HostileInput.corpus(TorrentHostileInputTest.class, "/corpus/torrent");
  }

  static Object infoHash(byte[] torrent) {
    String hex = TorrentFactory.infoHash(torrent);
    assertThat(hex).matches("[0-9a-f]{40}");
    return hex;
  }

  @Test
  @DisplayName("arbitrary bytes and mutated torrents: an info-hash or IllegalArgumentException, bounded time")
  void arbitraryTorrentsGiveAnInfoHashOrARefusal() throws Exception {
    Path file = Files.write(dir.resolve("image.img"), new byte[100_000]);
    byte[] made = TorrentFactory.create(file, List.of("http://10.0.0.1:6969/announce"),
        List.of("http://10.0.0.1/image.img"), TorrentFactory.MIN_PIECE).torrent();
    List<byte[]> seeds = new ArrayList<>(corpus().stream().map(Entry::bytes).toList());
    seeds.add(made);
    property("TorrentFactory.infoHash", oneOf(bytes(400), mutations(seeds, 1 << 16)))
        .tries(2000)
        .show(HostileInput::hex)
        .allocationBudget(b -> (1L << 20) + 64L * b.length)
        .check(onlyThrows(IllegalArgumentException.class, TorrentHostileInputTest::infoHash));
  }

  @Test
  @DisplayName("a torrent TorrentFactory made decodes to the info-hash it reported")
  void aCreatedTorrentDecodesToItsOwnInfoHash() throws Exception {
    Path file = Files.write(dir.resolve("small.img"), new byte[] {1, 2, 3});
    TorrentFactory.Created made = TorrentFactory.create(file, List.of(), List.of(), TorrentFactory.MIN_PIECE);
    assertThat(TorrentFactory.infoHash(made.torrent())).isEqualTo(made.infoHash());
  }

  static Stream<Entry> corpusEntries() {
    return corpus().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpusEntries")
  @DisplayName("the corpus replays under the same contract")
  void corpusReplays(Entry entry) {
    property("TorrentFactory.infoHash corpus", r -> entry.bytes())
        .show(HostileInput::hex)
        .allocationBudget(b -> (1L << 20) + 64L * b.length)
        .checkOne(entry.bytes(), onlyThrows(IllegalArgumentException.class, TorrentHostileInputTest::infoHash),
            entry.name());
  }
}
