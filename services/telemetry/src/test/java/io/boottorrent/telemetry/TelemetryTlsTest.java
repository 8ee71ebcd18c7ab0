package io.boottorrent.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.config.ConfigException;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.boottorrent.testsupport.TestCerts;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Telemetry with {@code telemetry.tlsCert}: its API and dashboard over TLS, as curl sees them. */
class TelemetryTlsTest {
  @TempDir Path dir;

  @Test
  void theApiAndTheDashboardAreServedOverTlsWithTheConfiguredCertificate() throws Exception {
    TestCerts.Cert cert = TestCerts.selfSigned(dir, "telemetry", "telemetry.test");
    int port = Ports.freeTcp();
    JsonObject section = TestConfig.section("telemetry").put("httpPort", port).put("host", "127.0.0.1")
        .put("tlsCert", cert.cert().toString()).put("tlsKey", cert.key().toString());
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new TelemetryVerticle(TelemetryOptions.fromSection(section),
          TestConfig.loopbackProcess(dir.resolve("data")))).await();
      String https = "https://127.0.0.1:" + port;
      Proc.Result machines = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "--fail-with-body", "--cacert",
          cert.cert().toString(), https + "/api/v1/machines");
      assertThat(machines.exit()).as(machines.output()).isZero();
      assertThat(machines.output()).contains("\"total\"");
      Proc.Result page = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
          "--cacert", cert.cert().toString(), https + "/dashboard/");
      assertThat(page.output()).isEqualTo("200");
      // plain HTTP on the TLS port gets no answer from the API
      Proc.Result plain = Proc.exec(Duration.ofSeconds(30), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
          "http://127.0.0.1:" + port + "/api/v1/machines");
      assertThat(plain.output()).doesNotStartWith("2");
      Proc.Result seen = Proc.exec(Duration.ofSeconds(30), "sh", "-c", "openssl s_client -connect 127.0.0.1:" + port
          + " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256");
      assertThat(seen.output().replace(":", "").toLowerCase()).contains(cert.sha256());
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aKeyWithoutItsCertificateIsAConfigErrorNamingTheMissingKey() {
    assertThatThrownBy(() -> TelemetryOptions.fromSection(TestConfig.section("telemetry").put("tlsKey", "/etc/k.pem")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("telemetry.tlsCert: empty, but telemetry.tlsKey is \"/etc/k.pem\"");
  }
}
