package io.boottorrent.core.trust;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trust in exactly one server certificate, named by the SHA-256 of its DER encoding (what
 * {@code openssl x509 -outform DER | sha256sum} prints): how the agent and the CLI reach a catalog
 * whose certificate is its own (self-signed, or from a CA nobody else trusts).
 *
 * <p>The {@link #trustManager} accepts a server whose leaf certificate has that fingerprint and refuses
 * every other, naming both fingerprints. It checks no host name: the pin names one certificate, so a
 * host-name check adds nothing, and boot networks reach the catalog by IP address, which few
 * certificates list. Being an {@link X509ExtendedTrustManager}, the JDK adds no host-name check of its
 * own either. The handshake, the signature over it and the certificate parsing are the JDK's; nothing
 * here is cryptography beyond a digest.
 */
public final class CertificatePin {
  /** A fingerprint: 64 hex digits (colons between byte pairs, as openssl prints them, are accepted). */
  public static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");

  private final String sha256;

  private CertificatePin(String sha256) {
    this.sha256 = sha256;
  }

  /**
   * Empty for an empty spec; else 64 hex digits, optionally {@code sha256:}-prefixed, with or without
   * colons (openssl's {@code -fingerprint -sha256} output after the {@code =}), any case.
   *
   * @throws IllegalArgumentException naming the value when it is none of these
   */
  public static Optional<CertificatePin> parse(String spec) {
    String s = spec.strip().toLowerCase(Locale.ROOT);
    if (s.isEmpty()) {
      return Optional.empty();
    }
    s = s.startsWith("sha256:") ? s.substring("sha256:".length()) : s;
    s = s.startsWith("sha256 fingerprint=") ? s.substring("sha256 fingerprint=".length()) : s;
    s = s.replace(":", "");
    if (!FINGERPRINT.matcher(s).matches()) {
      throw new IllegalArgumentException("expected the SHA-256 of a certificate (64 hex digits, as `openssl x509 "
          + "-in cert.pem -outform DER | sha256sum` prints it), got \"" + spec + "\"");
    }
    return Optional.of(new CertificatePin(s));
  }

  /** The pinned fingerprint, 64 lowercase hex digits. */
  public String sha256() {
    return sha256;
  }

  /** SHA-256 of a certificate's DER encoding, 64 lowercase hex digits. */
  public static String fingerprint(Certificate certificate) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot encode certificate: " + e.getMessage(), e);
    }
  }

  /**
   * The fingerprint of the first certificate in a PEM file's text (the server's own, in a chain file).
   *
   * @throws IllegalArgumentException when the text holds no certificate
   */
  public static String fingerprintOfPem(String pem, String what) {
    List<? extends Certificate> chain;
    try {
      chain = List.copyOf(CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
    } catch (CertificateException e) {
      throw new IllegalArgumentException(what + " holds no readable X.509 certificate: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(what + " holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)");
    }
    return fingerprint(chain.get(0));
  }

  /** Accepts only a server whose leaf certificate has the pinned fingerprint; refuses every client. */
  public X509ExtendedTrustManager trustManager() {
    return new Pinned();
  }

  /** A TLS context (the JDK's default provider) that trusts the pinned certificate only. */
  public SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trustManager()}, null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JDK: " + e.getMessage(), e);
    }
  }

  /** Why {@code chain} is refused, or empty when its leaf is the pinned certificate. Pure. */
  public Optional<String> mismatch(X509Certificate[] chain) {
    if (chain == null || chain.length == 0) {
      return Optional.of("the server sent no certificate; pinned SHA-256 " + sha256);
    }
    String got = fingerprint(chain[0]);
    return got.equals(sha256) ? Optional.empty()
        : Optional.of("the server's certificate has SHA-256 " + got + " (" + chain[0].getSubjectX500Principal().getName()
            + "), not the pinned " + sha256);
  }

  @Override
  public String toString() {
    return "sha256:" + sha256;
  }

  private final class Pinned extends X509ExtendedTrustManager {
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      Optional<String> why = mismatch(chain);
      if (why.isPresent()) {
        throw new CertificateException(why.get());
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a certificate pin trusts a server, never a client");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
