package io.boottorrent.dhcp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** ARCHITECTURE.md: protocol code is pure — bytes ⇄ records, no Vert.x. */
class ProtocolPurityTest {
  @Test
  void protocolPackageImportsNeitherVertxNorNetty() throws Exception {
    Path dir = Path.of("src/main/java/io/boottorrent/dhcp/protocol");
    List<Path> sources;
    try (Stream<Path> files = Files.list(dir)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).toList();
    }

    assertThat(sources).hasSizeGreaterThan(5);
    for (Path source : sources) {
      assertThat(Files.readString(source)).as(source.toString())
          .doesNotContain("import io.vertx").doesNotContain("import io.netty");
    }
  }
}
