package io.boottorrent.core.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a certificate pin accepts and refuses, against certificates and fingerprints made by OpenSSL. */
class CertificatePinTest {
  @TempDir Path dir;

  @Test
  void ourFingerprintOfAPemIsWhatOpensslComputes() throws Exception {
    Path cert = openssl("a");
    String pem = Files.readString(cert);
    assertThat(CertificatePin.fingerprintOfPem(pem, "a.crt")).isEqualTo(opensslFingerprint(cert));
    // a chain file: the server's certificate comes first
    Path b = openssl("b");
    assertThat(CertificatePin.fingerprintOfPem(pem + Files.readString(b), "chain")).isEqualTo(opensslFingerprint(cert));
  }

  @Test
  void aPinIsWrittenAsSha256sumOrOpensslPrintsIt() throws Exception {
    Path cert = openssl("a");
    String hex = opensslFingerprint(cert);
    String colons = hex.toUpperCase(Locale.ROOT).replaceAll("(..)(?!$)", "$1:");
    for (String spec : new String[] {hex, hex.toUpperCase(Locale.ROOT), "sha256:" + hex, colons,
        "sha256 Fingerprint=" + colons, "  " + hex + "\n"}) {
      assertThat(CertificatePin.parse(spec)).as(spec).get().extracting(CertificatePin::sha256).isEqualTo(hex);
    }
    assertThat(CertificatePin.parse("")).isEmpty();
    assertThatThrownBy(() -> CertificatePin.parse(hex.substring(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"" + hex.substring(1) + "\"")
        .hasMessageContaining("64 hex digits");
  }

  @Test
  void theTrustManagerAcceptsThePinnedCertificateOnlyAndNamesBothFingerprints() throws Exception {
    X509Certificate a = read(openssl("a"));
    X509Certificate b = read(openssl("b"));
    String fa = opensslFingerprint(dir.resolve("a.crt"));
    String fb = opensslFingerprint(dir.resolve("b.crt"));
    var trust = CertificatePin.parse(fa).orElseThrow().trustManager();

    trust.checkServerTrusted(new X509Certificate[] {a}, "ECDHE_ECDSA");
    trust.checkServerTrusted(new X509Certificate[] {a, b}, "ECDHE_ECDSA", (javax.net.ssl.SSLEngine) null);
    assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[] {b, a}, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class)
        .hasMessageContaining("has SHA-256 " + fb).hasMessageContaining("not the pinned " + fa)
        .hasMessageContaining("CN=b.test");
    assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[0], "RSA"))
        .isInstanceOf(CertificateException.class).hasMessageContaining("no certificate");
    assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {a}, "RSA"))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void aFileWithoutACertificateIsRefusedNamingIt() {
    assertThatThrownBy(() -> CertificatePin.fingerprintOfPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "catalog.tlsCert /etc/x.pem"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("catalog.tlsCert /etc/x.pem");
  }

  private Path openssl(String name) throws IOException, InterruptedException {
    Path cert = dir.resolve(name + ".crt");
    if (!Files.exists(cert)) {
      run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
          "-subj", "/CN=" + name + ".test", "-keyout", dir.resolve(name + ".key").toString(), "-out", cert.toString());
    }
    return cert;
  }

  private String opensslFingerprint(Path cert) throws IOException, InterruptedException {
    String out = run("openssl", "x509", "-in", cert.toString(), "-noout", "-fingerprint", "-sha256").trim();
    return out.substring(out.indexOf('=') + 1).replace(":", "").toLowerCase(Locale.ROOT);
  }

  private static X509Certificate read(Path cert) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert)));
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }
}
