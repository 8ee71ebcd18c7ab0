package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libtorrent4j.TorrentInfo;

/**
 * When a verified payload is added in seed mode ({@link SwarmSession#unchangedSince}): only if every
 * file still has its size and was not modified after it was verified; SeederRestartTest measures it.
 */
class SeedModeCheckTest {
  @TempDir Path dir;

  @Test
  void anUnchangedPayloadIsSeededAtOnceAChangedOneIsChecked() throws Exception {
    Path image = Files.createDirectories(dir.resolve("img"));
    Files.write(image.resolve("disk.img"), new byte[70_000]);
    Files.write(image.resolve("vmlinuz"), new byte[5_000]);
    TorrentInfo info = TorrentInfo.bdecode(TorrentFactory.create(image, List.of(), List.of(), 0).torrent());
    long verified = System.currentTimeMillis() + 1000;

    // GIVEN files as verified: seed mode
    assertThat(SwarmSession.unchangedSince(info, dir, verified)).isEmpty();
    // WHEN one was modified after the verification: checked, saying why
    Files.setLastModifiedTime(image.resolve("vmlinuz"), FileTime.fromMillis(verified + 1));
    assertThat(SwarmSession.unchangedSince(info, dir, verified)).isEqualTo("img/vmlinuz was modified after it was verified");
    Files.setLastModifiedTime(image.resolve("vmlinuz"), FileTime.fromMillis(verified - 1));
    // WHEN one has another size (truncated, replaced): checked
    Files.write(image.resolve("disk.img"), new byte[69_999]);
    Files.setLastModifiedTime(image.resolve("disk.img"), FileTime.fromMillis(verified - 1));
    assertThat(SwarmSession.unchangedSince(info, dir, verified)).isEqualTo("img/disk.img has 69999 bytes, the torrent 70000");
    // WHEN one is missing: checked
    Files.delete(image.resolve("disk.img"));
    assertThat(SwarmSession.unchangedSince(info, dir, verified)).isEqualTo("img/disk.img is missing or unreadable");
  }

  @Test
  void aFullDiskIsSaidAsSuchOnlyWhenTheSpaceIsShort() {
    SwarmSession.Torrent small = new SwarmSession.Torrent("00", "small", 16384, 1, 100, null);
    small.savePath = dir;
    // a disk with room for it: libtorrent's words stand
    assertThat(AlertRouter.diskFull(small, "Bad address")).isEqualTo("Bad address");
    SwarmSession.Torrent huge = new SwarmSession.Torrent("00", "huge", 16384, 1, Long.MAX_VALUE / 4, null);
    huge.savePath = dir;
    assertThat(AlertRouter.diskFull(huge, "Bad address")).startsWith("No space left on device: ")
        .contains("where huge is saved").endsWith("(libtorrent: Bad address)");
    assertThat(AlertRouter.diskFull(huge, "No space left on device")).startsWith("No space left on device: ");
    assertThat(AlertRouter.diskFull(huge, "Permission denied")).isEqualTo("Permission denied");
  }
}
