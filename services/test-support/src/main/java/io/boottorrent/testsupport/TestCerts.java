package io.boottorrent.testsupport;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * TLS certificates for tests, made by OpenSSL (third-party software, so that our fingerprints and our
 * TLS servers are checked against what OpenSSL makes and computes, not against our own code).
 */
public final class TestCerts {
  private TestCerts() {}

  /** A self-signed certificate and its key, PEM files in {@code dir}. */
  public record Cert(Path cert, Path key, String sha256) {}

  /**
   * A self-signed EC P-256 certificate for {@code cn}, valid for a day, with {@code 127.0.0.1} and
   * {@code localhost} as subject alternative names; {@code sha256}: OpenSSL's SHA-256 fingerprint of it
   * (its DER), lowercase hex without colons.
   */
  public static Cert selfSigned(Path dir, String name, String cn) throws IOException, InterruptedException {
    return selfSigned(dir, name, cn, "IP:127.0.0.1,DNS:localhost");
  }

  /** As {@link #selfSigned(Path, String, String)} with these subject alternative names (openssl's syntax). */
  public static Cert selfSigned(Path dir, String name, String cn, String subjectAltNames)
      throws IOException, InterruptedException {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    Proc.exec(Duration.ofSeconds(30), "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "1", "-subj", "/CN=" + cn, "-addext", "subjectAltName=" + subjectAltNames,
        "-keyout", key.toString(), "-out", cert.toString()).orThrow();
    return new Cert(cert, key, fingerprint(cert));
  }

  /** {@code openssl x509 -noout -fingerprint -sha256}, as 64 lowercase hex digits. */
  public static String fingerprint(Path cert) throws IOException, InterruptedException {
    String out = Proc.exec(Duration.ofSeconds(30), "openssl", "x509", "-in", cert.toString(), "-noout", "-fingerprint",
        "-sha256").orThrow().output().trim();
    // "sha256 Fingerprint=AB:CD:…" (the prefix's case differs between OpenSSL versions)
    return out.substring(out.indexOf('=') + 1).replace(":", "").toLowerCase(Locale.ROOT);
  }
}
