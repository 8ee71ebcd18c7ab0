package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.testsupport.Gate;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Alert;
import org.openqa.selenium.NoAlertPresentException;

/**
 * The dashboard in Debian's chromium with {@code auth.openReads: false}: the page asks once for a token
 * (a prompt), keeps it in the tab's sessionStorage, reads telemetry with it and follows the event stream
 * through a ticket; another page of the same tab does not ask again.
 */
class DashboardTokenBrowserTest {
  @TempDir Path dir;

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void withReadsClosedThePageAsksForATokenOnceAndThenFollowsTheStream() throws Exception {
    Path chromedriver = Gate.requireCommand("chromedriver", "chromium-driver");
    Path chromium = Gate.requireCommand("chromium", "chromium");
    Files.createDirectories(DashboardBrowserTest.ARTIFACTS);
    try (Stack stack = new Stack(dir, 0, false, config -> config.getJsonObject("auth").put("openReads", false));
         DashboardBrowserTest.Browser browser = new DashboardBrowserTest.Browser(chromedriver, chromium,
             dir.resolve("chromium-profile"))) {
      String viewer = viewerToken(stack);
      publish(stack, "02:00:00:00:00:71");

      browser.open(stack.telemetryUrl() + "/dashboard/");
      Alert prompt = waitForPrompt(browser);
      assertThat(prompt.getText()).contains("needs a bearer token with role viewer").contains("role viewer");
      prompt.sendKeys(viewer);
      prompt.accept();

      browser.waitFor("the event stream connected with a ticket",
          () -> "live".equals(browser.js("return document.getElementById('conn').dataset.state")));
      browser.waitFor("the machine known before is listed", () -> macs(browser).contains("02:00:00:00:00:71"));
      publish(stack, "02:00:00:00:00:72");
      browser.waitFor("a machine seen after the page opened arrives over the stream",
          () -> macs(browser).contains("02:00:00:00:00:72"));
      assertThat(browser.js("return sessionStorage.getItem('boottorrent.token')")).isEqualTo(viewer);

      browser.open(stack.telemetryUrl() + "/dashboard/machine.html?mac=02:00:00:00:00:72");
      browser.waitFor("the machine page follows the stream",
          () -> "live".equals(browser.js("return document.getElementById('conn').dataset.state")));
      assertThat(alertOpen(browser)).as("the tab's token is reused: no second prompt").isFalse();
      browser.screenshot("token-machine");
      assertThat(browser.jsErrors()).as("JavaScript errors").isEmpty();
    }
  }

  private static List<Object> macs(DashboardBrowserTest.Browser browser) {
    return browser.jsList("return [...document.querySelectorAll('#machines tbody tr')].map(tr => tr.dataset.mac)");
  }

  private static Alert waitForPrompt(DashboardBrowserTest.Browser browser) throws InterruptedException {
    long deadline = System.nanoTime() + DashboardBrowserTest.WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        return browser.driver.switchTo().alert();
      } catch (NoAlertPresentException notYet) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("the page did not ask for a token");
  }

  private static boolean alertOpen(DashboardBrowserTest.Browser browser) {
    try {
      browser.driver.switchTo().alert();
      return true;
    } catch (NoAlertPresentException none) {
      return false;
    }
  }

  private static void publish(Stack stack, String mac) {
    stack.vertx.eventBus().publish(Addresses.BOOT_EVENT, BootEvent.newBuilder().setMac(mac)
        .setStage(BootStage.DHCP_LEASE).setIp("10.0.0." + Integer.parseInt(mac.substring(15), 16))
        .setMessage("lease").setTimestampMs(System.currentTimeMillis()).build());
  }

  private static String viewerToken(Stack stack) throws Exception {
    HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(stack.catalogUrl() + "/api/v1/tokens"))
        .header("Authorization", stack.bearer()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"browser\",\"role\":\"VIEWER\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return new JsonObject(created.body()).getString("secret");
  }
}
