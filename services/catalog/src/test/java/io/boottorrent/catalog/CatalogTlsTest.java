package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.core.config.ServiceLinks;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.TestCerts;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog with {@code catalog.tlsCert}: the API over TLS on {@code httpsPort}, checked with curl and
 * openssl s_client against a certificate made by OpenSSL; firmware's {@code /boot/} and the web seed on
 * plain HTTP; the iPXE script naming the https API and pinning the certificate.
 */
class CatalogTlsTest {
  static final String MAC = "52:54:00:12:34:56";

  @TempDir Path dir;
  Vertx vertx;
  JsonObject config;
  TestCerts.Cert cert;
  int httpPort;
  int httpsPort;

  @BeforeEach
  void start() throws Exception {
    cert = TestCerts.selfSigned(dir, "catalog", "catalog.test");
    config = TestConfig.loopback(dir.resolve("data"));
    httpPort = config.getJsonObject("catalog").getInteger("httpPort");
    httpsPort = Ports.freeTcp();
    config.getJsonObject("catalog").put("httpsPort", httpsPort)
        .put("tlsCert", cert.cert().toString()).put("tlsKey", cert.key().toString());
    Path clientImage = Files.createDirectories(dir.resolve("data/client-image"));
    Files.writeString(clientImage.resolve("vmlinuz"), "kernel");
    Files.writeString(clientImage.resolve("initrd"), "initrd");
    vertx = Vertx.vertx();
    vertx.deployVerticle(Fixtures.catalog(config)).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void theApiIsServedOverTlsWithTheConfiguredCertificateAsCurlAndOpensslSeeIt() throws Exception {
    String https = "https://127.0.0.1:" + httpsPort;
    // curl trusts exactly our certificate (--cacert) and checks the host name against its IP SAN
    Proc.Result list = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail-with-body", "--cacert",
        cert.cert().toString(), https + "/api/v1/images");
    assertThat(list.exit()).as(list.output()).isZero();
    assertThat(list.output()).contains("images");
    // without trusting it, curl refuses: the server presents that self-signed certificate, no other
    Proc.Result untrusted = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", https + "/api/v1/images");
    assertThat(untrusted.exit()).as(untrusted.output()).isEqualTo(60);
    // openssl s_client: the certificate on the wire is the one OpenSSL made, by fingerprint
    Proc.Result seen = Proc.exec(Duration.ofSeconds(30), "sh", "-c", "openssl s_client -connect 127.0.0.1:" + httpsPort
        + " -servername catalog.test </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256");
    assertThat(seen.output().replace(":", "").toLowerCase()).as(seen.output()).contains(cert.sha256());
    // a write over TLS, with the admin token
    Proc.Result keys = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail-with-body", "--cacert",
        cert.cert().toString(), "-X", "POST", "-H", TestTokens.authorizationHeader(dir.resolve("data")),
        https + "/api/v1/keys/rotate");
    assertThat(keys.exit()).as(keys.output()).isZero();
  }

  @Test
  void firmwareGetsPlainHttpBootFilesAndTheScriptNamesTheHttpsApiAndPinsItsCertificate() throws Exception {
    String plain = "http://127.0.0.1:" + httpPort;
    Proc.Result script = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail-with-body",
        plain + "/boot/ipxe?mac=" + MAC);
    assertThat(script.exit()).as(script.output()).isZero();
    assertThat(script.output())
        .contains("kernel " + plain + "/boot/vmlinuz?mac=" + MAC)
        .contains("initrd --name initrd " + plain + "/boot/initrd?mac=" + MAC)
        .contains("boottorrent.catalog=https://127.0.0.1:" + httpsPort + " ")
        .contains("boottorrent.catalog_cert=" + cert.sha256());
    Proc.Result kernel = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail-with-body", plain + "/boot/vmlinuz");
    assertThat(kernel.output()).isEqualTo("kernel");
    // the API is not on the plain port: the answer says where it is
    Proc.Result api = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "-w", "%{http_code}", plain + "/api/v1/boot/" + MAC);
    assertThat(api.output()).contains("the API is at https://127.0.0.1:" + httpsPort).endsWith("404");
  }

  @Test
  void newTorrentsKeepTheirWebSeedOnPlainHttpAndTheDashboardIsToldTheHttpsUrl() throws Exception {
    Path src = Files.createDirectories(dir.resolve("data/import/img"));
    Fixtures.writeRandom(src.resolve("vmlinuz"), 40_000, 1);
    Fixtures.writeRandom(src.resolve("initrd"), 70_000, 2);
    String https = "https://127.0.0.1:" + httpsPort;
    Proc.Result add = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail-with-body", "--cacert",
        cert.cert().toString(), "-H", TestTokens.authorizationHeader(dir.resolve("data")), "-H",
        "Content-Type: application/json", "--data", "{\"name\":\"img\",\"kind\":\"KEXEC\",\"kernel\":\""
            + src.resolve("vmlinuz") + "\",\"initrd\":\"" + src.resolve("initrd") + "\"}", https + "/api/v1/images");
    assertThat(add.exit()).as(add.output()).isZero();
    Path torrent = dir.resolve("img.torrent");
    Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail", "--cacert", cert.cert().toString(), "-o",
        torrent.toString(), https + "/api/v1/images/img/torrent").orThrow();
    String bencoded = new String(Files.readAllBytes(torrent), StandardCharsets.ISO_8859_1);
    assertThat(bencoded).contains("http://127.0.0.1:" + httpPort + CatalogOptions.SEED_PATH).doesNotContain("https:");
    Proc.Result seed = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download}",
        "http://127.0.0.1:" + httpPort + "/seed/img/initrd");
    assertThat(seed.output()).isEqualTo("70000");
    assertThat(ServiceLinks.catalogUrl(config)).isEqualTo(https);
  }

  @Test
  void aCertificateWithoutItsKeyIsAConfigErrorNamingTheMissingKey() {
    JsonObject section = config.getJsonObject("catalog").copy().put("tlsKey", "");
    assertThatThrownBy(() -> CatalogOptions.fromSection(section)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("catalog.tlsKey: empty, but catalog.tlsCert is \"" + cert.cert() + "\"");
  }

  @Test
  void unreadableTlsFilesFailTheStartNamingTheKeyAndTheFile() throws Exception {
    JsonObject noCert = config.copy();
    noCert.getJsonObject("catalog").put("tlsCert", dir.resolve("none.crt").toString()).put("httpPort", Ports.freeTcp())
        .put("httpsPort", Ports.freeTcp());
    noCert.put("dataDir", dir.resolve("data2").toString());
    assertThatThrownBy(() -> vertx.deployVerticle(Fixtures.catalog(noCert)).await())
        .hasMessageContaining("catalog.tlsCert: cannot read " + dir.resolve("none.crt"));
    JsonObject noKey = config.copy();
    noKey.getJsonObject("catalog").put("tlsKey", dir.resolve("none.key").toString()).put("httpPort", Ports.freeTcp())
        .put("httpsPort", Ports.freeTcp());
    noKey.put("dataDir", dir.resolve("data3").toString());
    assertThatThrownBy(() -> vertx.deployVerticle(Fixtures.catalog(noKey)).await())
        .hasMessageContaining("cannot serve TLS on port").hasMessageContaining("catalog.tlsKey " + dir.resolve("none.key"));
  }
}
