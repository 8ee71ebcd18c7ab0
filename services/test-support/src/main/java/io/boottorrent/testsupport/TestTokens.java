package io.boottorrent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The admin token a catalog writes at its first start on a data dir ({@code <dataDir>/catalog/admin.token},
 * {@code TokenStore.ADMIN_TOKEN_FILE} in the catalog's token folder): what tests that add images or set
 * the policy over REST send, as an operator would after the first start.
 */
public final class TestTokens {
  private TestTokens() {}

  /** The admin token's secret; the catalog on {@code dataDir} must have started. */
  public static String admin(Path dataDir) {
    Path file = dataDir.resolve("catalog").resolve("admin.token");
    try {
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("no admin token at " + file + " (has a catalog started on that data dir?)", e);
    }
  }

  /** {@code Bearer <admin token>}, the value of an {@code Authorization} header. */
  public static String bearer(Path dataDir) {
    return "Bearer " + admin(dataDir);
  }

  /** {@code Authorization: Bearer <admin token>}, as curl's {@code -H} takes it. */
  public static String authorizationHeader(Path dataDir) {
    return "Authorization: " + bearer(dataDir);
  }
}
