package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.TorrentInfo;

class TorrentFactoryTest {
  @TempDir Path dir;

  @Test
  void pieceLengthGrowsWithSizeWithinBounds() {
    assertThat(TorrentFactory.pieceLengthFor(1)).isEqualTo(16 * 1024);
    assertThat(TorrentFactory.pieceLengthFor(16L << 20)).isEqualTo(16 * 1024);
    assertThat(TorrentFactory.pieceLengthFor(256L << 20)).isEqualTo(256 * 1024);
    assertThat(TorrentFactory.pieceLengthFor(64L << 30)).isEqualTo(4 * 1024 * 1024);
  }

  @Test
  void folderBecomesMultiFileTorrentWithTrackersAndWebSeed() throws IOException {
    Path image = Files.createDirectories(dir.resolve("demo"));
    Files.write(image.resolve("vmlinuz"), new byte[100_000]);
    Files.write(image.resolve("initrd"), new byte[50_000]);

    TorrentFactory.Created created = TorrentFactory.create(image,
        List.of("http://127.0.0.1:6969/announce"), List.of("http://127.0.0.1:8080/seed/"), 0);

    TorrentInfo info = TorrentInfo.bdecode(created.torrent());
    assertThat(info.name()).isEqualTo("demo");
    assertThat(info.numFiles()).isEqualTo(2);
    assertThat(info.totalSize()).isEqualTo(150_000);
    assertThat(created.infoHash()).hasSize(40).isEqualTo(info.infoHash().toHex());
    assertThat(info.trackers()).extracting(t -> t.url()).containsExactly("http://127.0.0.1:6969/announce");
    assertThat(info.webSeeds()).extracting(w -> w.url()).containsExactly("http://127.0.0.1:8080/seed/");
    assertThat(created.pieceLength()).isEqualTo(16 * 1024);
    assertThat(created.pieces()).isEqualTo((150_000 + 16 * 1024 - 1) / (16 * 1024));
  }

  @Test
  void emptyFolderIsRefused() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> TorrentFactory.create(empty, List.of(), List.of(), 0))
        .isInstanceOf(IOException.class).hasMessageContaining("empty");
  }
}
