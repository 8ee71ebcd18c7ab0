package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.PeerSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.TorrentInfo;

/** The URLs libtorrent gets for web seeds, and which endpoints count as a web seed. */
class WebSeedsTest {
  private static final String SEED = "http://h:8080/seed/";

  @TempDir Path dir;

  @BeforeAll
  static void loadLibtorrent() {
    Libtorrent.ensureLoaded();
  }

  @Test
  void oneFileImagesGetTheirWebSeedUrlSpelledOutForLibtorrent() throws IOException {
    // GIVEN a folder with a single file (a multi-file torrent with one entry) and one with two
    Path one = Files.createDirectories(dir.resolve("my image"));
    Files.write(one.resolve("vm linuz"), new byte[20_000]);
    Path two = Files.createDirectories(dir.resolve("pair"));
    Files.write(two.resolve("a"), new byte[20_000]);
    Files.write(two.resolve("b"), new byte[20_000]);
    String oneFile = WebSeeds.oneFileInFolder(torrentOf(one));
    String twoFiles = WebSeeds.oneFileInFolder(torrentOf(two));

    // THEN only the first needs the file's own URL (libtorrent 2.0.6 would request <url><name>)
    assertThat(oneFile).isEqualTo("my image/vm linuz");
    assertThat(twoFiles).isNull();
    assertThat(WebSeeds.requestUrl(SEED, oneFile)).isEqualTo("http://h:8080/seed/my%20image/vm%20linuz");
    assertThat(WebSeeds.requestUrl(SEED, null)).isEqualTo(SEED);
    assertThat(WebSeeds.requestUrl("http://h:8080/seed/x/file", oneFile)).isEqualTo("http://h:8080/seed/x/file");
  }

  @Test
  void aSingleFileTorrentIsNotAFileInAFolder() throws IOException {
    Path file = Files.write(dir.resolve("vmlinuz"), new byte[20_000]);

    assertThat(WebSeeds.oneFileInFolder(torrentOf(file))).isNull();
  }

  @Test
  void eachPathSegmentIsPercentEncodedAsUtf8AndTheSlashesBetweenThemKept() {
    assertThat(WebSeeds.requestUrl(SEED, "café/ré#1?x+y%z&=;"))
        .isEqualTo(SEED + "caf%C3%A9/r%C3%A9%231%3Fx%2By%25z%26%3D%3B");
    // RFC 3986's unreserved characters stay as they are
    assertThat(WebSeeds.requestUrl(SEED, "Az09-._~/b")).isEqualTo(SEED + "Az09-._~/b");
  }

  @Test
  void endpointsCarryTheUrlsPortOrTheSchemesDefault() throws Exception {
    assertThat(WebSeeds.endpoints("http://127.0.0.1:8080/seed/"))
        .containsExactly(new PeerSource.Peer("127.0.0.1", 8080));
    assertThat(WebSeeds.endpoints("http://10.1.2.3/seed/")).containsExactly(new PeerSource.Peer("10.1.2.3", 80));
    assertThat(WebSeeds.endpoints("HTTPS://10.1.2.3/seed/")).containsExactly(new PeerSource.Peer("10.1.2.3", 443));
    // IPv6 spelled as libtorrent spells a connection's address (compressed, no brackets)
    assertThat(WebSeeds.endpoints("http://[fd00:0:0:0:0:0:0:7]:8080/seed/"))
        .containsExactly(new PeerSource.Peer("fd00::7", 8080));
    assertThatThrownBy(() -> WebSeeds.endpoints("http://bad host/")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void blocksFromARegisteredWebSeedsAddressAreCountedUnderItsUrl() {
    // GIVEN a torrent of 2 one-block pieces with a web seed on 127.0.0.1:8080
    String url = "http://127.0.0.1:8080/seed/";
    SwarmSession.Torrent t = torrent();
    WebSeeds.register("test", t, url);

    // WHEN the web seed's connection and a peer each deliver a block
    t.blocks.received(new PeerSource.Peer("127.0.0.1", 8080), 0, 0);
    t.blocks.received(new PeerSource.Peer("127.0.0.1", 6881), 1, 0);

    // THEN the first counts for the web seed, the other for the peer
    assertThat(t.blocks.receivedSnapshot()).containsExactly(
        Map.entry(new PeerSource.Peer("127.0.0.1", 6881), (long) BlockAccounting.BLOCK_SIZE),
        Map.entry(new PeerSource.WebSeed(url), (long) BlockAccounting.BLOCK_SIZE));
  }

  @Test
  void aWebSeedThatCannotBeResolvedIsCountedUnderItsAddress() {
    SwarmSession.Torrent t = torrent();
    WebSeeds.register("test", t, "http://bad host:8080/seed/");

    t.blocks.received(new PeerSource.Peer("127.0.0.1", 8080), 0, 0);

    assertThat(t.blocks.receivedSnapshot()).containsOnlyKeys(new PeerSource.Peer("127.0.0.1", 8080));
  }

  private static SwarmSession.Torrent torrent() {
    int block = BlockAccounting.BLOCK_SIZE;
    return new SwarmSession.Torrent("00", "t", block, 2, 2L * block, null);
  }

  private static TorrentInfo torrentOf(Path root) throws IOException {
    return TorrentInfo.bdecode(TorrentFactory.create(root, List.of(), List.of(), 0).torrent());
  }
}
