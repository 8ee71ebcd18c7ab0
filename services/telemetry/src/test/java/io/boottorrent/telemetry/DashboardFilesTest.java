package io.boottorrent.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.config.ServiceLinks;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard as files: {@code /} and {@code /dashboard} lead to {@code /dashboard/}, every page is
 * the one shell around its own body, every file of {@code webroot/} is served with its content type,
 * every local file a page, style or module names exists,
 * none is fetched from another host (it works offline), and {@code config.json} names the catalog.
 * What the pages show is DashboardBrowserTest's (cli), in a real browser.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class DashboardFilesTest {
  static final Map<String, String> CONTENT_TYPES = Map.of(
      "html", "text/html", "js", "text/javascript", "css", "text/css", "svg", "image/svg+xml");
  /** src/href attributes, CSS url(), ES module imports. */
  static final Pattern REFERENCE = Pattern.compile(
      "(?:src|href)=\"([^\"#?]+)[^\"]*\"|url\\(([^)]+)\\)|(?:from|import)\\s+'([^']+)'");

  @TempDir Path dir;
  WebClient client;

  @AfterEach
  void close() {
    if (client != null) {
      client.close();
    }
  }

  /** Telemetry assembled as `serve` assembles it: its section, the process, the catalog's URL. */
  String deploy(Vertx vertx, String catalogUrl) {
    TelemetryOptions options = TelemetryOptions.fromSection(TestConfig.section("telemetry")
        .put("httpPort", Ports.freeTcp()).put("host", "127.0.0.1"));
    TelemetryVerticle verticle = catalogUrl == null
        ? new TelemetryVerticle(options, TestConfig.loopbackProcess(dir))
        : new TelemetryVerticle(options, TestConfig.loopbackProcess(dir), catalogUrl);
    String id = await(vertx.deployVerticle(verticle));
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(verticle.actualPort()).setFollowRedirects(false));
    return id;
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }

  HttpResponse<Buffer> get(String uri) {
    return await(client.get(uri).send());
  }

  static Path webroot() throws URISyntaxException {
    return Path.of(DashboardFilesTest.class.getClassLoader().getResource(TelemetryVerticle.WEBROOT).toURI());
  }

  @Test
  void everyFileIsServedWithItsContentTypeAndEveryReferenceResolvesLocally(Vertx vertx) throws Exception {
    // GIVEN telemetry as `serve` builds it, told where the catalog is
    JsonObject tree = TestConfig.loopback(dir);
    deploy(vertx, ServiceLinks.catalogUrl(tree));

    // THEN / and /dashboard redirect to /dashboard/, the Live page
    for (String path : List.of("/", "/dashboard")) {
      HttpResponse<Buffer> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(302);
      assertThat(r.getHeader("Location")).as(path).isEqualTo("/dashboard/");
    }
    HttpResponse<Buffer> index = get("/dashboard/");
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.bodyAsString()).isEqualTo(get("/dashboard/index.html").bodyAsString());

    // AND every page is the shell around its own body: its title, its script, its body, nothing left
    // of the template; the shell and the bodies are not files of their own
    Path root = webroot();
    Map<String, String> documents = new LinkedHashMap<>();
    for (DashboardPages.Page page : DashboardPages.PAGES) {
      HttpResponse<Buffer> r = get("/dashboard/" + page.file());
      assertThat(r.statusCode()).as(page.file()).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).as(page.file()).isEqualTo("text/html; charset=utf-8");
      assertThat(r.getHeader("Cache-Control")).as(page.file()).isEqualTo("no-cache");
      String html = r.bodyAsString();
      String body = Files.readString(root.resolveSibling("dashboard").resolve(page.id() + ".html"));
      assertThat(html).as(page.file())
          .startsWith("<!doctype html>")
          .contains("<title>BootTorrent · " + page.title() + "</title>",
              "<script type=\"module\" src=\"js/" + page.id() + ".js\"></script>",
              "<body data-page=\"" + page.id() + "\">", body)
          .doesNotContain("{{")
          .endsWith("</html>\n");
      documents.put(page.file(), html);
    }
    assertThat(get("/dashboard/shell.html").statusCode()).isEqualTo(404);
    assertThat(get("/dashboard/live.html").statusCode()).isEqualTo(404);

    // AND every file of webroot/ comes with its type and no-cache; what each page, script or style
    // names is there, and local
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    assertThat(files.stream().map(f -> root.relativize(f).toString().replace('\\', '/')))
        .containsExactlyInAnyOrder("css/dashboard.css", "js/common.js", "js/charts.js", "js/live.js",
            "js/machine.js", "js/images.js", "js/policy.js", "favicon.svg");
    for (Path file : files) {
      String relative = root.relativize(file).toString().replace('\\', '/');
      String name = file.getFileName().toString();
      String type = CONTENT_TYPES.get(name.substring(name.lastIndexOf('.') + 1));
      assertThat(type).as("a file of a type the test knows: " + relative).isNotNull();
      HttpResponse<Buffer> r = get("/dashboard/" + relative);
      assertThat(r.statusCode()).as(relative).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).as(relative).startsWith(type);
      assertThat(r.getHeader("Cache-Control")).as(relative).isEqualTo("no-cache");
      assertThat(r.body().getBytes()).as(relative).isEqualTo(Files.readAllBytes(file));
      documents.put(relative, Files.readString(file));
    }
    List<String> checked = new ArrayList<>();
    documents.forEach((relative, text) -> {
      Matcher m = REFERENCE.matcher(text);
      while (m.find()) {
        String ref = Stream.of(m.group(1), m.group(2), m.group(3)).filter(g -> g != null).findFirst().orElseThrow();
        if (ref.startsWith("data:") || ref.startsWith("../api/") || ref.contains("${")) {
          continue; // inline, telemetry's API (a page link), or made by a template
        }
        assertThat(ref).as(relative + " names " + ref + ": no other host (the dashboard works offline)")
            .doesNotContain("//");
        // An import or a CSS url() is relative to its file; a link a page has or a script writes into
        // a page, to the page (/dashboard/, whose files are webroot/'s).
        boolean relativeToItsFile = m.group(3) != null || relative.endsWith(".css");
        Path base = relativeToItsFile ? root.resolve(relative).getParent() : root;
        Path target = base.resolve(ref).normalize();
        boolean page = DashboardPages.PAGES.stream().anyMatch(p -> ref.equals(p.file()) || ref.equals("./"));
        assertThat(page || Files.exists(target)).as(relative + " names " + ref).isTrue();
        checked.add(relative + " -> " + ref);
      }
    });
    assertThat(checked).as("references followed").hasSizeGreaterThan(20);

    // AND config.json says where the catalog is; an unknown file is a 404
    HttpResponse<Buffer> config = get("/dashboard/config.json");
    assertThat(config.getHeader("Content-Type")).startsWith("application/json");
    assertThat(config.bodyAsJsonObject()).isEqualTo(new JsonObject().put("catalogUrl",
        "http://127.0.0.1:" + tree.getJsonObject("catalog").getInteger("httpPort")).put("openReads", true));
    assertThat(get("/dashboard/js/nothing.js").statusCode()).isEqualTo(404);
    assertThat(get("/dashboard/../pom.xml").statusCode()).isEqualTo(404);
  }

  @Test
  void withoutACatalogUrlConfigJsonSaysSo(Vertx vertx) {
    deploy(vertx, null);
    assertThat(get("/dashboard/config.json").bodyAsJsonObject()).isEqualTo(new JsonObject().putNull("catalogUrl").put("openReads", true));
  }
}
