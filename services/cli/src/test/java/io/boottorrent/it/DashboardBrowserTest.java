package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.testsupport.Gate;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The telemetry dashboard in a real browser (Debian's chromium, headless, driven through
 * /usr/bin/chromedriver): the Live page opened before anything boots follows a storm of agents to
 * the end without a reload, and shows what telemetry's API says; a machine's page lists its phases and
 * events; the Images and Policy pages read the catalog (its CORS); after a telemetry restart the page
 * says "reconnecting…", then reconnects and shows the machines again. Screenshots go to
 * target/dashboard/ (live, machine, images, policy, reconnecting, after-restart).
 */
class DashboardBrowserTest {
  static final int AGENTS = 4;
  static final long SIZE = 24L << 20;
  static final long SEEDER_CAP = 8L << 20;
  static final Path ARTIFACTS = Path.of("target", "dashboard");
  static final Duration WAIT = Duration.ofSeconds(40);

  @TempDir Path dir;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void theDashboardFollowsABootStormLiveAndSurvivesATelemetryRestart() throws Exception {
    Path chromedriver = Gate.requireCommand("chromedriver", "chromium-driver");
    Path chromium = Gate.requireCommand("chromium", "chromium");
    long start = System.nanoTime();
    Files.createDirectories(ARTIFACTS);
    try (Stack stack = new Stack(dir, SEEDER_CAP, true);
         Browser browser = new Browser(chromedriver, chromium, dir.resolve("chromium-profile"))) {
      ImageManifest image = stack.addImage("dash", SIZE);

      // GIVEN the Live page, opened (through the / redirect) before any machine boots
      browser.open(stack.telemetryUrl() + "/");
      assertThat(browser.driver.getCurrentUrl()).isEqualTo(stack.telemetryUrl() + "/dashboard/");
      browser.waitFor("the event stream connected", () -> "live".equals(browser.js("return document.getElementById('conn').dataset.state")));
      assertThat(browser.text("#machine-count")).isEqualTo("0");
      browser.js("console.error('test probe: the console is read')");
      assertThat(browser.jsErrors()).as("JavaScript errors").isEmpty();
      assertThat(browser.console).as("the console is read (else the checks for errors prove nothing)")
          .anyMatch(line -> line.contains("test probe"));

      // WHEN agents boot (launcher none: their boot ends with LAUNCHING)
      List<Future<AgentResult>> runs = new ArrayList<>();
      for (int i = 1; i <= AGENTS; i++) {
        runs.add(stack.agent(i, new JsonObject().put("seedSeconds", 3).put("webSeedFallbackSeconds", 60)));
      }
      List<AgentResult> results = Future.all(runs).await(90, TimeUnit.SECONDS).list();
      assertThat(results).hasSize(AGENTS);

      // THEN, without a reload, every row reaches its final stage and shows the API's numbers
      browser.waitFor("every machine launched on the page", () -> {
        List<Map<String, Object>> rows = browser.rows();
        return rows.size() == AGENTS && rows.stream().allMatch(r -> "launched".equals(r.get("state")));
      });
      browser.eventually("the Live page shows what telemetry's API says", () -> checkLivePage(stack, browser));
      browser.screenshot("live");
      assertThat(browser.jsErrors()).as("JavaScript errors").isEmpty();

      // AND a machine's page shows its phases and its events, as the API has them
      String mac = "02:00:00:00:00:01";
      browser.open(stack.telemetryUrl() + "/dashboard/machine.html?mac=" + mac);
      browser.eventually("the machine page shows the machine's events", () -> checkMachinePage(stack, browser, mac));
      browser.screenshot("machine");

      // AND the Images and Policy pages read the catalog (config.json's URL, the catalog's CORS)
      browser.open(stack.telemetryUrl() + "/dashboard/images.html");
      browser.eventually("the Images page lists the image", () -> {
        assertThat(browser.text("#images tr[data-image='dash'] td:nth-child(3)")).isEqualTo(bytes(image.getTotalSize()));
        assertThat(browser.text("#image-count")).isEqualTo("1");
      });
      browser.screenshot("images");
      browser.open(stack.telemetryUrl() + "/dashboard/policy.html");
      browser.eventually("the Policy page shows each machine's assignment", () -> {
        List<Object> rules = browser.jsList("return [...document.querySelectorAll('#assignments tbody tr')]"
            + ".map(tr => tr.dataset.mac + ' ' + tr.dataset.assigned + ' ' + tr.dataset.rule)");
        assertThat(rules).containsExactly("02:00:00:00:00:01 dash default", "02:00:00:00:00:02 dash default",
            "02:00:00:00:00:03 dash default", "02:00:00:00:00:04 dash default");
      });
      browser.screenshot("policy");
      assertThat(browser.jsErrors()).as("JavaScript errors").isEmpty();

      // WHEN telemetry restarts (undeployed, then deployed again on the same port and data dir)
      browser.open(stack.telemetryUrl() + "/dashboard/");
      browser.waitFor("the Live page again", () -> browser.rows().size() == AGENTS
          && "live".equals(browser.js("return document.getElementById('conn').dataset.state")));
      stack.stopTelemetry();
      // THEN the page says it is reconnecting and keeps what it showed
      browser.waitFor("the reconnecting badge", () -> "reconnecting…".equals(browser.text("#conn")));
      assertThat(browser.rows()).hasSize(AGENTS);
      browser.screenshot("reconnecting");
      long refreshes = Long.parseLong(String.valueOf(browser.js("return document.body.dataset.refreshes")));
      stack.startTelemetry();
      // AND it reconnects by itself, reads the machines again (replayed from the journal), and shows them
      browser.waitFor("reconnected and refreshed", () -> "live".equals(browser.text("#conn"))
          && Long.parseLong(String.valueOf(browser.js("return document.body.dataset.refreshes"))) > refreshes);
      browser.eventually("the Live page after the restart", () -> checkLivePage(stack, browser));
      browser.screenshot("after-restart");
      assertThat(browser.jsErrors()).as("JavaScript errors").isEmpty();
    }
    System.out.printf("dashboard browser test: %.1f s; screenshots in %s%n", (System.nanoTime() - start) / 1e9,
        ARTIFACTS.toAbsolutePath());
  }

  /** The Live page against GET /api/v1/machines and /api/v1/storms. */
  static void checkLivePage(Stack stack, Browser browser) throws Exception {
    JsonArray machines = new JsonObject(stack.telemetry("/api/v1/machines?limit=1000")).getJsonArray("machines");
    assertThat(machines).hasSize(AGENTS);
    assertThat(browser.text("#machine-count")).isEqualTo(String.valueOf(AGENTS));
    Map<String, Map<String, Object>> rows = browser.rows().stream()
        .collect(Collectors.toMap(r -> (String) r.get("mac"), r -> r));
    for (Object o : machines) {
      JsonObject m = (JsonObject) o;
      Map<String, Object> row = rows.get(m.getString("mac"));
      assertThat(row).as(m.getString("mac")).isNotNull();
      @SuppressWarnings("unchecked")
      List<String> cells = (List<String>) row.get("cells");
      long done = Long.parseLong(m.getString("bytesDone"));
      long total = Long.parseLong(m.getString("bytesTotal"));
      assertThat(row.get("stage")).isEqualTo(m.getString("stage")).isEqualTo("LAUNCHING");
      assertThat(row.get("bytesDone")).isEqualTo(String.valueOf(done));
      assertThat(cells.get(0)).isEqualTo(m.getString("mac"));
      assertThat(cells.get(2)).isEqualTo(m.getString("image")).isEqualTo("dash");
      assertThat(cells.get(3)).startsWith("✓ launched").contains("LAUNCHING");
      assertThat(cells.get(4)).contains(bytes(done) + " / " + bytes(total) + " · " + percent(done / (double) total));
      assertThat(cells.get(7)).isEqualTo(sources(m));
      assertThat(cells.get(8)).isEqualTo(seconds(Long.parseLong(m.getString("bootMs"))));
    }
    assertThat(browser.jsList("return [...document.querySelectorAll('#timeline svg .row-label')].map(t => t.textContent)"))
        .containsExactlyElementsOf(machines.stream().map(o -> ((JsonObject) o).getString("mac")).sorted().toList());

    JsonObject storm = new JsonObject(stack.telemetry("/api/v1/storms")).getJsonArray("storms").getJsonObject(0);
    Map<String, String> cards = browser.cards("#storm");
    assertThat(cards).containsEntry("members", String.valueOf(storm.getInteger("memberCount")))
        .containsEntry("booted", String.valueOf(storm.getInteger("booted")))
        .containsEntry("failed", "0")
        .containsEntry("first", seconds(Long.parseLong(storm.getString("firstBootedMs"))))
        .containsEntry("last", seconds(Long.parseLong(storm.getString("lastBootedMs"))))
        .containsEntry("p50", seconds(Long.parseLong(storm.getString("downloadP50Ms"))));
    assertThat(storm.getInteger("memberCount")).isEqualTo(AGENTS);
    assertThat(storm.getInteger("booted")).isEqualTo(AGENTS);
    if (!storm.getJsonArray("samples").isEmpty()) {
      assertThat(browser.jsList("return [...document.querySelectorAll('#p2p svg polyline')].map(p => p.tagName)")).hasSize(1);
    }
  }

  /** The machine page against GET /api/v1/machines/{mac}. */
  static void checkMachinePage(Stack stack, Browser browser, String mac) throws Exception {
    JsonObject detail = new JsonObject(stack.telemetry("/api/v1/machines/" + mac));
    List<String> stages = detail.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("stage")).toList();
    assertThat(stages).contains("AGENT_STARTED", "DOWNLOAD_STARTED", "DOWNLOAD_COMPLETE", "VERIFIED", "LAUNCHING");
    assertThat(browser.text("#title")).isEqualTo(mac);
    assertThat(browser.text("#event-count")).isEqualTo(String.valueOf(stages.size()));
    assertThat(browser.jsList("return [...document.querySelectorAll('#events tbody tr')].map(tr => tr.dataset.stage)"))
        .containsExactlyElementsOf(stages);
    List<String> phases = detail.getJsonObject("machine").getJsonArray("phases").stream()
        .map(p -> ((JsonObject) p).getString("phase")).toList();
    assertThat(browser.jsList("return [...document.querySelectorAll('#phases tbody tr')].map(tr => tr.dataset.phase)"))
        .containsExactlyElementsOf(phases);
    assertThat(browser.jsList("return [...document.querySelectorAll('#phases tbody tr td:nth-child(3)')].map(td => td.innerText)"))
        .containsExactlyElementsOf(detail.getJsonObject("machine").getJsonArray("phases").stream()
            .map(p -> seconds(Long.parseLong(((JsonObject) p).getString("durationMs")))).toList());
    assertThat(browser.js("return document.getElementById('state').dataset.state")).isEqualTo("launched");
  }

  // ----------------------------------------------------------- the page's formats (js/common.js)

  /** js/common.js bytes(): MiB with one decimal from 1 MiB. */
  static String bytes(long b) {
    if (b >= 1L << 30) {
      return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
    }
    if (b >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
    }
    if (b >= 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
    return b + " B";
  }

  /** js/common.js duration() below a minute. */
  static String seconds(long ms) {
    assertThat(ms).isBetween(0L, 59_999L);
    return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  static String percent(double share) {
    return String.format(Locale.ROOT, "%.0f%%", share * 100);
  }

  /** The "bytes from" cell's text: the peers' share, then the seeder's and the web seed's when not 0. */
  static String sources(JsonObject m) {
    long seeder = Long.parseLong(m.getString("bytesFromSeeder"));
    long peers = Long.parseLong(m.getString("bytesFromPeers"));
    long web = Long.parseLong(m.getString("bytesFromWebSeed"));
    double total = seeder + peers + web;
    assertThat(total).as("DOWNLOAD_COMPLETE said where the bytes came from").isPositive();
    return "peers " + percent(peers / total) + (seeder > 0 ? " · seeder " + percent(seeder / total) : "")
        + (web > 0 ? " · web " + percent(web / total) : "");
  }

  // ----------------------------------------------------------------------------------- browser

  /** Headless chromium through chromedriver, both Debian's: Selenium Manager never runs or downloads. */
  static final class Browser implements AutoCloseable {
    final OutputStream driverLog;
    final ChromeDriverService service;
    final ChromeDriver driver;
    final List<String> errors = new ArrayList<>();
    /** Every console line read so far. */
    final List<String> console = new ArrayList<>();

    Browser(Path chromedriver, Path chromium, Path profile) throws IOException {
      Files.createDirectories(profile);
      driverLog = Files.newOutputStream(ARTIFACTS.resolve("chromedriver.log"));
      service = new ChromeDriverService.Builder()
          .usingDriverExecutable(chromedriver.toFile())
          .usingAnyFreePort()
          // surefire preloads the JVM's libjsig (for libtorrent) into everything it starts: not into the browser
          .withEnvironment(Map.of("LD_PRELOAD", ""))
          .withLogOutput(driverLog)
          .build();
      ChromeOptions options = new ChromeOptions();
      options.setBinary(chromium.toFile());
      options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
          "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1440,1000", "--lang=en-US");
      LoggingPreferences logs = new LoggingPreferences();
      logs.enable(LogType.BROWSER, java.util.logging.Level.ALL);
      options.setCapability("goog:loggingPrefs", logs);
      driver = new ChromeDriver(service, options);
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    }

    void open(String url) {
      driver.manage().window().setSize(new Dimension(1440, 1000));
      driver.get(url);
    }

    Object js(String script) {
      return ((JavascriptExecutor) driver).executeScript(script);
    }

    @SuppressWarnings("unchecked")
    List<Object> jsList(String script) {
      return (List<Object>) js(script);
    }

    /** The visible text of the first element matching a CSS selector; "" when there is none. */
    String text(String selector) {
      Object text = js("const e = document.querySelector(\"" + selector.replace("\"", "\\\"") + "\");"
          + " return e ? e.innerText.trim() : ''");
      return String.valueOf(text);
    }

    /** The Live page's rows as one snapshot: data attributes and each cell's visible text. */
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> rows() {
      return (List<Map<String, Object>>) js("return [...document.querySelectorAll('#machines tbody tr')].map(tr => ({"
          + "mac: tr.dataset.mac, state: tr.dataset.state, stage: tr.dataset.stage, bytesDone: tr.dataset.bytesDone,"
          + "cells: [...tr.cells].map(td => td.innerText.trim().replace(/\\s*\\n\\s*/g, ' '))}))");
    }

    /** The cards under a selector: data-k → the value's visible text. */
    @SuppressWarnings("unchecked")
    Map<String, String> cards(String selector) {
      return (Map<String, String>) js("return Object.fromEntries([...document.querySelectorAll(\"" + selector
          + " .card\")].map(c => [c.dataset.k, c.querySelector('.v').innerText.trim()]))");
    }

    interface Check {
      void run() throws Exception;
    }

    interface Condition {
      boolean holds() throws Exception;
    }

    void waitFor(String what, Condition condition) throws Exception {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!condition.holds()) {
        if (System.nanoTime() > deadline) {
          screenshot("failed");
          throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what);
        }
        Thread.sleep(100);
      }
    }

    /** Retries {@code check} until it passes (the page refreshes after the API changed); else its last failure. */
    void eventually(String what, Check check) throws Exception {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        try {
          check.run();
          return;
        } catch (AssertionError e) {
          if (System.nanoTime() > deadline) {
            screenshot("failed");
            throw new AssertionError(what + ": " + e.getMessage(), e);
          }
          Thread.sleep(200);
        }
      }
    }

    /** A screenshot of the whole page (through the DevTools protocol, beyond the window): target/dashboard/{name}.png. */
    void screenshot(String name) throws IOException {
      long width = ((Number) js("return document.documentElement.scrollWidth")).longValue();
      long height = ((Number) js("return document.documentElement.scrollHeight")).longValue();
      Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
          "captureBeyondViewport", true,
          "clip", Map.of("x", 0, "y", 0, "width", width, "height", Math.min(height, 6000), "scale", 1)));
      Files.write(ARTIFACTS.resolve(name + ".png"), Base64.getDecoder().decode((String) shot.get("data")));
    }

    /** Uncaught exceptions and failed module loads seen by the page's console so far. */
    List<String> jsErrors() {
      for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
        String message = e.getMessage();
        console.add(e.getLevel() + " " + message);
        if (message.contains("Uncaught") || message.contains("SyntaxError") || message.contains("TypeError")
            || message.contains("Failed to load module")) {
          errors.add(message);
        }
      }
      return errors;
    }

    @Override
    public void close() throws IOException {
      try {
        driver.quit();
      } finally {
        service.stop();
        driverLog.close();
      }
    }
  }
}
