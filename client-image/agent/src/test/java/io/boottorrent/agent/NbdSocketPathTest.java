package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NbdSocketPathTest {
  private static final String HASH = "764a9251b350c0ffee0123456789abcdef012345";

  @Test
  void theExportIsASocketInTheWorkDirNamedByTheInfoHash() {
    assertThat(AgentVerticle.nbdSocketPath(Path.of("/run/boottorrent"), HASH))
        .contains(Path.of("/run/boottorrent/nbd-764a9251b350.sock"));
  }

  @Test
  void aPathOverTheSocketAddressesLimitFallsBackToTcp() {
    // sun_path holds 108 bytes with its NUL: 107 fit, 108 do not (the socket's name is 21 bytes + "/")
    Path fits = Path.of("/" + "w".repeat(107 - 1 - 22));
    Path over = Path.of("/" + "w".repeat(107 - 22));
    assertThat(AgentVerticle.nbdSocketPath(fits, HASH)).hasValueSatisfying(p -> assertThat(p.toString()).hasSize(107));
    assertThat(AgentVerticle.nbdSocketPath(over, HASH)).isEmpty();
  }
}
