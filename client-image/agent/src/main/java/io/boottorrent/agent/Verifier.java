package io.boottorrent.agent;

import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks every file of a downloaded image against the SHA-256 in the catalog's manifest. BitTorrent's
 * SHA-1 piece hashes already caught transfer errors; this proves the bytes are the catalog's image.
 * Blocking: run on a worker thread.
 */
public final class Verifier {
  private Verifier() {}

  /** The mismatches, empty when the image is intact. */
  public static List<String> verify(ImageManifest image, Path imageDir) throws IOException {
    List<String> problems = new ArrayList<>();
    for (ImageFile file : image.getFilesList()) {
      Path path = imageDir.resolve(file.getPath()).normalize();
      if (!path.startsWith(imageDir)) {
        problems.add(file.getPath() + ": path escapes the image folder");
      } else if (!Files.isRegularFile(path)) {
        problems.add(file.getPath() + ": missing");
      } else if (Files.size(path) != file.getSize()) {
        problems.add(file.getPath() + ": size " + Files.size(path) + " != " + file.getSize());
      } else {
        String actual = sha256(path);
        if (!actual.equalsIgnoreCase(file.getSha256())) {
          problems.add(file.getPath() + ": sha256 " + actual + " != " + file.getSha256());
        }
      }
    }
    return problems;
  }

  public static String sha256(Path path) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(path)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
