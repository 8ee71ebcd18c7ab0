package io.boottorrent.core.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The keys an agent trusts, by fingerprint ({@link Ed25519#fingerprint}): pinned on the kernel command
 * line ({@code boottorrent.keys=<fingerprint>,…}) or read from a PEM file baked into the client image.
 * A signature names its public key; the key is trusted iff its fingerprint is listed here.
 */
public final class TrustedKeys {
  private static final TrustedKeys NONE = new TrustedKeys(Set.of());
  private final Set<String> fingerprints;

  private TrustedKeys(Set<String> fingerprints) {
    this.fingerprints = Set.copyOf(fingerprints);
  }

  public static TrustedKeys none() {
    return NONE;
  }

  public static TrustedKeys of(Set<String> fingerprints) {
    return new TrustedKeys(fingerprints);
  }

  /**
   * A comma-separated list whose entries are fingerprints (64 hex digits, optionally prefixed
   * {@code sha256:}) or paths of PEM files holding public keys. Reads the files: call off the event loop.
   *
   * @throws IllegalArgumentException naming the entry that is neither
   */
  public static TrustedKeys parse(String spec) {
    Set<String> out = new LinkedHashSet<>();
    for (String raw : spec.split(",")) {
      String entry = raw.strip();
      if (entry.isEmpty()) {
        continue;
      }
      String hex = entry.toLowerCase(Locale.ROOT);
      hex = hex.startsWith("sha256:") ? hex.substring("sha256:".length()) : hex;
      if (Ed25519.FINGERPRINT.matcher(hex).matches()) {
        out.add(hex);
      } else if (entry.contains("/")) {
        out.addAll(fromFile(Path.of(entry)));
      } else {
        throw new IllegalArgumentException("\"" + entry + "\" is neither a key fingerprint (64 hex digits) "
            + "nor the path of a PEM file of public keys");
      }
    }
    return new TrustedKeys(out);
  }

  private static Set<String> fromFile(Path file) {
    if (!Files.isRegularFile(file)) {
      // (a FIFO or a device would block the read forever)
      throw new IllegalArgumentException("trusted keys " + file + ": not a regular file");
    }
    String pem;
    try {
      pem = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read trusted keys " + file + ": " + e, e);
    }
    Set<String> out = new LinkedHashSet<>();
    try {
      for (byte[] der : Ed25519.fromPem(pem)) {
        out.add(Ed25519.fingerprint(der));
      }
    } catch (TrustException e) {
      throw new IllegalArgumentException("trusted keys " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** No key configured: signatures are not required. */
  public boolean isEmpty() {
    return fingerprints.isEmpty();
  }

  public boolean trusts(String fingerprint) {
    return fingerprints.contains(fingerprint);
  }

  public Set<String> fingerprints() {
    return fingerprints;
  }

  @Override
  public String toString() {
    return fingerprints.isEmpty() ? "none" : String.join(", ", fingerprints);
  }
}
