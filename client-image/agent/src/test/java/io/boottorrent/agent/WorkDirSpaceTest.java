package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's check of agent.workDir's free space before a download (DiskFullTest drives it on a tmpfs). */
class WorkDirSpaceTest {
  @TempDir Path workDir;

  @Test
  void anImageLargerThanTheFreeSpaceFailsBeforeAnythingIsWrittenNamingWhatWasShort() throws Exception {
    long huge = Long.MAX_VALUE / 4; // more than any disk has free, whatever else writes meanwhile
    ImageManifest image = image(huge);
    assertThatThrownBy(() -> AgentVerticle.checkSpace(workDir, image))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("No space left on device: big needs " + (huge + 10) + " more bytes")
        .hasMessageContaining("agent.workDir");
    assertThat(workDir).isEmptyDirectory();
  }

  @Test
  void filesAlreadyThereCountAsWrittenAndASmallImageFits() throws Exception {
    Path there = Files.createDirectories(workDir.resolve("big")).resolve("vmlinuz");
    Files.write(there, new byte[10]);
    assertThat(AgentVerticle.checkSpace(workDir, image(1000))).isEqualTo(workDir);
    assertThatThrownBy(() -> AgentVerticle.checkSpace(workDir, image(Long.MAX_VALUE / 2)))
        .hasMessageContaining("needs " + Long.MAX_VALUE / 2 + " more bytes");
  }

  private static ImageManifest image(long initrd) {
    return ImageManifest.newBuilder().setName("big")
        .addFiles(ImageFile.newBuilder().setRole("kernel").setPath("vmlinuz").setSize(10))
        .addFiles(ImageFile.newBuilder().setRole("initrd").setPath("initrd").setSize(initrd)).build();
  }
}
