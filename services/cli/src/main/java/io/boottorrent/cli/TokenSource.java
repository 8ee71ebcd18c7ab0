package io.boottorrent.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where a CLI command finds its bearer token, in order: {@code --token-file FILE}, the environment's
 * {@code BOOTTORRENT_TOKEN} (the token itself), then {@code BOOTTORRENT_TOKEN_FILE} (a file holding
 * it, like the catalog's {@code <dataDir>/catalog/admin.token}). Pure: the environment is passed in.
 */
final class TokenSource {
  static final String ENV_TOKEN = "BOOTTORRENT_TOKEN";
  static final String ENV_TOKEN_FILE = "BOOTTORRENT_TOKEN_FILE";
  /** What {@link #find} looks at, for the message when nothing was found. */
  static final String WHERE = "--token-file, $" + ENV_TOKEN + ", $" + ENV_TOKEN_FILE;

  private TokenSource() {}

  /** A token and where it came from (never the token itself in {@link #toString}). */
  record Found(String secret, String from) {
    @Override
    public String toString() {
      return "token from " + from;
    }
  }

  /**
   * @throws IllegalArgumentException for a named file that cannot be read or holds no token, naming it
   */
  static Optional<Found> find(Path tokenFile, Map<String, String> env) {
    if (tokenFile != null) {
      return Optional.of(new Found(read(tokenFile, "--token-file"), "--token-file " + tokenFile));
    }
    String token = env.get(ENV_TOKEN);
    if (token != null && !token.isBlank()) {
      return Optional.of(new Found(token.trim(), "$" + ENV_TOKEN));
    }
    String file = env.get(ENV_TOKEN_FILE);
    if (file != null && !file.isBlank()) {
      return Optional.of(new Found(read(Path.of(file), "$" + ENV_TOKEN_FILE), "$" + ENV_TOKEN_FILE + " (" + file + ")"));
    }
    return Optional.empty();
  }

  private static String read(Path file, String option) {
    String text;
    try {
      text = Files.readString(file).trim();
    } catch (IOException e) {
      throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage(), e);
    }
    if (text.isEmpty() || text.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(option + ": " + file + " does not hold one token (empty, or several words)");
    }
    return text;
  }
}
