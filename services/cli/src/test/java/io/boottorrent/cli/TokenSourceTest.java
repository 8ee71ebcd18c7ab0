package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenSourceTest {
  @TempDir Path dir;

  @Test
  void theOptionComesFirstThenTheTokenThenTheTokenFileOfTheEnvironment() throws Exception {
    Path a = Files.writeString(dir.resolve("a"), "btk_a\n");
    Path b = Files.writeString(dir.resolve("b"), "btk_b");
    Map<String, String> env = Map.of("BOOTTORRENT_TOKEN", " btk_env ", "BOOTTORRENT_TOKEN_FILE", b.toString());
    assertThat(TokenSource.find(a, env)).get().extracting(TokenSource.Found::secret).isEqualTo("btk_a");
    assertThat(TokenSource.find(null, env)).get().extracting(TokenSource.Found::secret, TokenSource.Found::from)
        .containsExactly("btk_env", "$BOOTTORRENT_TOKEN");
    assertThat(TokenSource.find(null, Map.of("BOOTTORRENT_TOKEN_FILE", b.toString()))).get()
        .extracting(TokenSource.Found::secret).isEqualTo("btk_b");
    assertThat(TokenSource.find(null, Map.of())).isEmpty();
    assertThat(TokenSource.find(a, env).get().toString()).doesNotContain("btk_a");
  }

  @Test
  void anUnreadableOrEmptyFileIsAnErrorNamingIt() throws Exception {
    assertThatThrownBy(() -> TokenSource.find(dir.resolve("nope"), Map.of()))
        .hasMessageStartingWith("--token-file: cannot read " + dir.resolve("nope"));
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    assertThatThrownBy(() -> TokenSource.find(null, Map.of("BOOTTORRENT_TOKEN_FILE", empty.toString())))
        .hasMessageStartingWith("$BOOTTORRENT_TOKEN_FILE: " + empty + " does not hold one token");
  }
}
