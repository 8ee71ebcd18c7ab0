package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifierTest {
  // SHA-256("abc"), FIPS 180-2 appendix B.1
  private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @TempDir Path dir;

  private ImageManifest manifest(String path, long size, String sha) {
    return ImageManifest.newBuilder().setName("x")
        .addFiles(ImageFile.newBuilder().setPath(path).setSize(size).setSha256(sha)).build();
  }

  @Test
  void sha256MatchesTheFipsExample() throws Exception {
    Files.writeString(dir.resolve("f"), "abc", StandardCharsets.US_ASCII);
    assertThat(Verifier.sha256(dir.resolve("f"))).isEqualTo(ABC);
    assertThat(Verifier.verify(manifest("f", 3, ABC), dir)).isEmpty();
  }

  @Test
  void reportsAChangedByte() throws Exception {
    Files.writeString(dir.resolve("f"), "abd", StandardCharsets.US_ASCII);
    assertThat(Verifier.verify(manifest("f", 3, ABC), dir)).singleElement().asString().startsWith("f: sha256 ");
  }

  @Test
  void reportsMissingWrongSizeAndEscapingPaths() throws Exception {
    Files.writeString(dir.resolve("f"), "abcd", StandardCharsets.US_ASCII);
    assertThat(Verifier.verify(manifest("f", 3, ABC), dir)).containsExactly("f: size 4 != 3");
    assertThat(Verifier.verify(manifest("g", 3, ABC), dir)).containsExactly("g: missing");
    assertThat(Verifier.verify(manifest("../f", 3, ABC), dir.resolve("sub"))).containsExactly("../f: path escapes the image folder");
  }
}
