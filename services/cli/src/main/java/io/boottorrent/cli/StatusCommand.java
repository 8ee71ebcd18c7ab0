package io.boottorrent.cli;

import io.boottorrent.proto.MachineList;
import io.boottorrent.server.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code boottorrent status}: the machines and their boots, refreshed in place. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show every machine's boot (stage, progress, rate, peers, where its bytes came from), refreshing.")
final class StatusCommand implements Callable<Integer> {
  @Option(names = "--telemetry", defaultValue = "${env:BOOTTORRENT_TELEMETRY_URL:-" + EventsCommand.DEFAULT_TELEMETRY + "}",
      description = "Telemetry URL (default: ${DEFAULT-VALUE}).")
  String telemetry;

  @Option(names = "--image", description = "Only machines booting this image.") String image;

  @picocli.CommandLine.Mixin TelemetryAccess access;

  @Option(names = "--interval", defaultValue = "2", description = "Seconds between refreshes (default: ${DEFAULT-VALUE}).")
  int interval;

  @Option(names = "--once", description = "Print the table once and exit (scripts, and when not on a terminal).")
  boolean once;

  @Override
  public Integer call() throws Exception {
    HttpClient http = access.client(telemetry);
    URI uri = URI.create(telemetry.replaceAll("/+$", "") + "/api/v1/machines?limit=1000"
        + (image == null ? "" : "&image=" + URLEncoder.encode(image, StandardCharsets.UTF_8)));
    boolean refresh = !once && System.console() != null;
    while (true) {
      String table;
      try {
        HttpResponse<String> response = http.send(access.authorize(HttpRequest.newBuilder(uri))
            .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          System.err.println("error: telemetry answered HTTP " + response.statusCode() + ": " + response.body());
          if (response.statusCode() == 401) {
            System.err.println(TelemetryAccess.unauthorized());
          }
          return 2;
        }
        table = StatusTable.render(Json.parse(response.body(), MachineList.newBuilder()).build());
      } catch (IOException e) {
        if (!refresh) {
          System.err.println("error: cannot reach telemetry at " + telemetry + " (" + e.getMessage() + ")");
          return 2;
        }
        table = "cannot reach telemetry at " + telemetry + "; retrying\n";
      }
      if (!refresh) {
        System.out.print(table);
        return 0;
      }
      System.out.print("\033[H\033[2J" + telemetry + " — every " + interval + " s, Ctrl-C to stop\n\n" + table);
      System.out.flush();
      Thread.sleep(interval * 1000L);
    }
  }
}
