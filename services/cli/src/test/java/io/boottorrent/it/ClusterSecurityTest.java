package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may be a member, across processes: the catalog ({@code serve --services catalog --cluster}) and
 * three {@code events tail --cluster} subscribers, each its own JVM. All share the TCP member list;
 * the catalog and the first subscriber have the cluster secret and a member certificate of the
 * cluster's CA (openssl makes both CAs here). A subscriber with a wrong secret is refused by
 * Hazelcast; one with the secret but a certificate of another CA joins Hazelcast yet gets nothing
 * over the event bus, whose mutual TLS refuses it.
 */
class ClusterSecurityTest {
  private static final String MAC = "52:54:00:00:00:77";
  private static final String SECRET = "s3cret-of-the-boot-network";
  private static final Pattern MEMBERS = Pattern.compile("Members \\{size:(\\d+)");

  @TempDir Path dir;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void membersWithoutTheSecretOrTheCasCertificateGetNoEvents() throws Exception {
    String openssl = Gate.requireCommand("openssl", "openssl").toString();
    Path pki = Files.createDirectories(dir.resolve("pki"));
    Tls cluster = Tls.issue(openssl, pki, "cluster");
    Tls stranger = Tls.issue(openssl, pki, "stranger");
    ClusterLab lab = new ClusterLab(dir, Path.of("target", "cluster-lab", "security"),
        List.of("catalog", "listener", "outsider", "rogue", "watcher"));
    int catalogPort = Ports.freeTcp();
    lab.shared.put("catalog", new JsonObject().put("host", "127.0.0.1").put("httpPort", catalogPort));
    try (lab) {
      // GIVEN the catalog and a subscriber with the secret and certificates of the cluster's CA
      Proc.Running catalog = lab.serve("catalog", "catalog", member(SECRET, cluster));
      ClusterLab.awaitRunning(catalog);
      Proc.Running listener = tail(lab, "listener", member(SECRET, cluster));
      // AND one with a wrong secret, and one with the secret but another CA's certificate
      Proc.Running outsider = tail(lab, "outsider", member(SECRET + "?", cluster));
      Proc.Running rogue = tail(lab, "rogue", member(SECRET, stranger));
      for (Proc.Running subscriber : List.of(listener, outsider, rogue)) {
        subscriber.await("subscribed to boot.event", Duration.ofSeconds(120), "error:");
      }
      // WHEN an agent reports an event to the catalog
      HttpResponse<String> posted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + catalogPort + "/api/v1/events")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"mac\":\"" + MAC + "\",\"stage\":\"AGENT_STARTED\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
      // THEN the member with the secret and the CA's certificate gets it
      listener.await(MAC + "  AGENT_STARTED", Duration.ofSeconds(60));
      Thread.sleep(3000); // time enough for the event to reach anyone else it would reach
      // AND neither stranger does
      assertThat(outsider.output()).doesNotContain(MAC);
      assertThat(rogue.output()).doesNotContain(MAC);
      // AND Hazelcast refused the wrong secret: a member with the right one counts the catalog, the
      // listener, the rogue and itself, not the outsider, which was told its cluster name is wrong
      Vertx watcher = lab.join("watcher", member(SECRET, cluster).getJsonObject("cluster"));
      assertThat(((VertxInternal) watcher).clusterManager().getNodes()).hasSize(4);
      assertThat(outsider.output()).contains("different cluster-name");
      // AND the rogue, a Hazelcast member, was refused by the event bus's mutual TLS
      assertThat(catalog.output()).contains("SSLHandshakeException");
    }
  }

  private static Proc.Running tail(ClusterLab lab, String name, JsonObject own, String... more) throws Exception {
    String[] args = new String[3 + more.length];
    args[0] = "events";
    args[1] = "tail";
    args[2] = "--cluster";
    System.arraycopy(more, 0, args, 3, more.length);
    return lab.start(name, own, args);
  }

  private static JsonObject member(String secret, Tls tls) {
    return new JsonObject().put("cluster", new JsonObject().put("secret", secret)
        .put("tlsCert", tls.cert().toString()).put("tlsKey", tls.key().toString()).put("tlsCa", tls.ca().toString()));
  }

  /** Each "Members {size:N" Hazelcast logged. */
  private static List<Integer> memberCounts(String log) {
    Matcher m = MEMBERS.matcher(log);
    List<Integer> counts = new java.util.ArrayList<>();
    while (m.find()) {
      counts.add(Integer.parseInt(m.group(1)));
    }
    return counts;
  }

  /** A CA and one member certificate it signed (EC P-256, for 127.0.0.1), as PEM files. */
  record Tls(Path ca, Path cert, Path key) {
    static Tls issue(String openssl, Path dir, String name) throws Exception {
      Path caKey = dir.resolve(name + "-ca.key");
      Path ca = dir.resolve(name + "-ca.pem");
      Path key = dir.resolve(name + "-member.key");
      Path csr = dir.resolve(name + "-member.csr");
      Path cert = dir.resolve(name + "-member.pem");
      Path ext = Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=IP:127.0.0.1\n");
      run(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", caKey.toString(), "-out", ca.toString(), "-days", "2", "-subj", "/CN=" + name + " CA");
      run(openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + name + " member");
      run(openssl, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
          "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString());
      return new Tls(ca, cert, key);
    }

    private static void run(String... command) throws Exception {
      Proc.exec(Duration.ofSeconds(30), command).orThrow();
    }
  }
}
