package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.agent.AgentOptions;
import io.boottorrent.agent.AgentResult;
import io.boottorrent.cli.CliTest;
import io.boottorrent.core.config.ConfigException;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestCerts;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real catalog serving its API over TLS with a self-signed certificate (made by OpenSSL, naming only
 * {@code catalog.test}: not the address the agents reach it by), real agents and the CLI that pin it by
 * its SHA-256: the right pin boots and lists, a wrong pin or none is refused naming the fingerprints, and
 * nothing reaches the catalog from a refused agent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TlsBootTest {
  static final String WRONG = "ab".repeat(32);
  @TempDir static Path dir;
  private Stack stack;
  private TestCerts.Cert cert;
  private final List<BootEvent> events = new CopyOnWriteArrayList<>();

  @BeforeAll
  void start() throws Exception {
    cert = TestCerts.selfSigned(dir, "catalog", "catalog.test", "DNS:catalog.test");
    int httpsPort = Ports.freeTcp();
    stack = new Stack(dir, 0, true, config -> {
      config.getJsonObject("catalog").put("httpsPort", httpsPort)
          .put("tlsCert", cert.cert().toString()).put("tlsKey", cert.key().toString());
      config.getJsonObject("telemetry").put("tlsCert", cert.cert().toString()).put("tlsKey", cert.key().toString());
    });
    stack.vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> events.add(m.body()));
    stack.addImage("tls", 1 << 20);
  }

  @AfterAll
  void stop() {
    stack.close();
  }

  private record Boot(String mac, String console, Throwable failure, AgentResult result) {}

  private Boot boot(int index, JsonObject overrides) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Future<AgentResult> run = stack.agent(index, overrides.put("seedSeconds", 0).put("image", "tls"),
        new PrintStream(console, true, StandardCharsets.UTF_8));
    AgentResult result = run.transform(ar -> Future.succeededFuture(ar.succeeded() ? ar.result() : null))
        .toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    Throwable failure = result != null ? null
        : run.transform(ar -> Future.succeededFuture(ar.cause())).toCompletionStage().toCompletableFuture().get();
    return new Boot(String.format("02:00:00:00:00:%02x", index), console.toString(StandardCharsets.UTF_8), failure, result);
  }

  @Test
  void anAgentPinningTheCatalogsCertificateBootsOverHttpsReachedByAnAddressTheCertificateDoesNotName() throws Exception {
    assertThat(stack.catalogUrl()).startsWith("https://127.0.0.1:");
    Boot boot = boot(1, new JsonObject().put("catalogCertSha256", cert.sha256()));
    assertThat(boot.failure()).as(boot.console()).isNull();
    assertThat(boot.result().image()).isEqualTo("tls");
    assertThat(boot.console()).contains("certificate SHA-256 " + cert.sha256());
    // its events went to the catalog over TLS
    assertThat(events).filteredOn(e -> e.getMac().equals(boot.mac())).extracting(BootEvent::getStage)
        .contains(BootStage.AGENT_STARTED, BootStage.VERIFIED);
  }

  @Test
  void aWrongPinIsRefusedNamingBothFingerprintsAndNothingIsSentToThatServer() throws Exception {
    Boot boot = boot(2, new JsonObject().put("catalogCertSha256", WRONG));
    assertThat(boot.failure()).isNotNull();
    String expected = "refusing the catalog at " + stack.catalogUrl() + ": the server's certificate has SHA-256 "
        + cert.sha256() + " (CN=catalog.test), not the pinned " + WRONG;
    assertThat(boot.failure().getMessage()).isEqualTo(expected);
    // the FAILED event's reason is on the console; it is not sent to a server the agent does not trust
    assertThat(boot.console()).contains("boot failed: " + expected);
    Thread.sleep(500);
    assertThat(events).filteredOn(e -> e.getMac().equals(boot.mac())).isEmpty();
    assertThat(dir.resolve("agent-2").resolve("tls")).doesNotExist();
  }

  @Test
  void withoutAPinASelfSignedCatalogIsRefusedByTheJdksTrust() throws Exception {
    Boot boot = boot(3, new JsonObject());
    assertThat(boot.failure()).isNotNull();
    assertThat(boot.failure().getMessage()).startsWith("refusing the catalog at " + stack.catalogUrl() + ": ")
        .contains("PKIX path building failed");
    assertThat(events).filteredOn(e -> e.getMac().equals(boot.mac())).isEmpty();
  }

  @Test
  void aPinForAPlainHttpCatalogIsAConfigErrorNamingBothKeys() {
    JsonObject agent = TestConfig.section("agent").put("catalogUrl", "http://10.0.0.1:8080")
        .put("catalogCertSha256", cert.sha256());
    assertThatThrownBy(() -> AgentOptions.fromSection(agent)).isInstanceOf(ConfigException.class)
        .hasMessage("agent.catalogCertSha256: set to " + cert.sha256() + ", but agent.catalogUrl is "
            + "\"http://10.0.0.1:8080\": a certificate pin needs an https:// catalog URL");
  }

  @Test
  void theCliListsImagesOverHttpsWithThePinAndRefusesAWrongOneNamingBoth() {
    String catalog = "--catalog=" + stack.catalogUrl();
    CliTest.Run ok = CliTest.run("image", "list", catalog, "--catalog-cert-sha256=" + cert.sha256());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("tls");
    CliTest.Run wrong = CliTest.run("image", "list", catalog, "--catalog-cert-sha256=" + WRONG);
    assertThat(wrong.code()).isNotZero();
    assertThat(wrong.err()).contains("refusing the catalog at " + stack.catalogUrl())
        .contains("has SHA-256 " + cert.sha256()).contains("not the pinned " + WRONG);
    CliTest.Run none = CliTest.run("image", "list", catalog);
    assertThat(none.code()).isNotZero();
    assertThat(none.err()).contains("refusing the catalog at").contains("pass --catalog-cert-sha256");
    CliTest.Run plain = CliTest.run("image", "list", "--catalog=http://127.0.0.1:1", "--catalog-cert-sha256=" + WRONG);
    assertThat(plain.code()).isEqualTo(2);
    assertThat(plain.err()).contains("is not an https:// URL");
  }

  @Test
  void statusReadsAnHttpsTelemetryWithThePinAndRefusesAWrongOne() {
    String telemetry = "--telemetry=https://127.0.0.1:" + stack.config.getJsonObject("telemetry").getInteger("httpPort");
    CliTest.Run ok = CliTest.run("status", "--once", telemetry, "--telemetry-cert-sha256=" + cert.sha256());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("MAC");
    CliTest.Run wrong = CliTest.run("status", "--once", telemetry, "--telemetry-cert-sha256=" + WRONG);
    assertThat(wrong.code()).isEqualTo(2);
    assertThat(wrong.err()).contains("has SHA-256 " + cert.sha256()).contains("not the pinned " + WRONG);
  }
}
