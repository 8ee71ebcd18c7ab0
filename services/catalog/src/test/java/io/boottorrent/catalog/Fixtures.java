package io.boottorrent.catalog;

import io.boottorrent.core.config.ProcessOptions;
import io.boottorrent.core.config.ServiceLinks;
import io.boottorrent.server.auth.AuthOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Test files with known content, and what the tests check against. */
final class Fixtures {
  private Fixtures() {}

  /** A catalog for a whole config tree, wired as the process assembly wires it. */
  static CatalogVerticle catalog(JsonObject tree) {
    return new CatalogVerticle(CatalogOptions.fromSection(tree.getJsonObject("catalog")),
        ProcessOptions.fromTree(tree), ServiceLinks.announceUrls(tree),
        AuthOptions.fromSection(tree.getJsonObject("auth")));
  }

  /** Writes {@code size} pseudo-random bytes (reproducible from {@code seed}) and returns them. */
  static byte[] writeRandom(Path file, int size, long seed) {
    byte[] bytes = new byte[size];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) random.nextInt(256);
    }
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes;
  }

  /** SHA-256 as lowercase hex, computed independently of the code under test. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every path under {@code dir} (files and folders), relative to it; empty if it does not exist. */
  static List<String> tree(Path dir) {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
