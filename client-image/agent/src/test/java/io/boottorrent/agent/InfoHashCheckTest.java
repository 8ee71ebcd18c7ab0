package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent downloads only the .torrent its manifest names. */
class InfoHashCheckTest {
  @TempDir Path dir;

  private TorrentFactory.Created torrentOf(String name, byte[] content) throws Exception {
    Path folder = Files.createDirectories(dir.resolve(name));
    Files.write(folder.resolve("vmlinuz"), content);
    return TorrentFactory.create(folder, List.of("http://127.0.0.1:1/announce"), List.of(), 0);
  }

  @Test
  void theTorrentTheManifestNamesPasses() throws Exception {
    TorrentFactory.Created t = torrentOf("good", new byte[] {1, 2, 3});
    ImageManifest manifest = ImageManifest.newBuilder().setName("good").setInfoHash(t.infoHash().toUpperCase()).build();
    assertThat(AgentVerticle.checkInfoHash(manifest, t.torrent())).isEqualTo(t.torrent());
  }

  @Test
  void anotherTorrentIsRefusedNamingBothHashes() throws Exception {
    TorrentFactory.Created named = torrentOf("one", new byte[] {1, 2, 3});
    TorrentFactory.Created swapped = torrentOf("two", new byte[] {4, 5, 6});
    ImageManifest manifest = ImageManifest.newBuilder().setName("one").setInfoHash(named.infoHash()).build();
    assertThatThrownBy(() -> AgentVerticle.checkInfoHash(manifest, swapped.torrent()))
        .hasMessage("the .torrent of one has info-hash " + swapped.infoHash() + ", but its manifest names "
            + named.infoHash() + ": refusing to download");
  }

  @Test
  void aManifestWithoutAValidHashOrAMalformedTorrentIsRefused() throws Exception {
    TorrentFactory.Created t = torrentOf("x", new byte[] {7});
    assertThatThrownBy(() -> AgentVerticle.checkInfoHash(ImageManifest.newBuilder().setName("x").build(), t.torrent()))
        .hasMessageStartingWith("the manifest of x has no valid info-hash");
    ImageManifest manifest = ImageManifest.newBuilder().setName("x").setInfoHash(t.infoHash()).build();
    assertThatThrownBy(() -> AgentVerticle.checkInfoHash(manifest, "d4:junke".getBytes()))
        .hasMessageStartingWith("the catalog's .torrent of x is not a valid torrent");
  }
}
