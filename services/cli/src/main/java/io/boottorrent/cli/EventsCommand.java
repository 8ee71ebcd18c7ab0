package io.boottorrent.cli;

import io.boottorrent.core.MacAddress;
import io.boottorrent.core.config.BtConfig;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.server.ClusterOptions;
import io.boottorrent.server.Json;
import io.boottorrent.server.ServerVertx;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code boottorrent events tail}: boot events live in the terminal. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Watch boot events.",
    subcommands = EventsCommand.Tail.class)
final class EventsCommand {
  static final String DEFAULT_TELEMETRY = "http://127.0.0.1:8081";

  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = "Print boot events as they happen: from telemetry's stream (Server-Sent Events), or as a "
          + "member of the cluster's event bus (--cluster).")
  static final class Tail implements Callable<Integer> {
    @Option(names = "--telemetry", defaultValue = "${env:BOOTTORRENT_TELEMETRY_URL:-" + DEFAULT_TELEMETRY + "}",
        description = "Telemetry URL (default: ${DEFAULT-VALUE}).")
    String telemetry;

    @Option(names = "--cluster", description = "Join the Hazelcast cluster (cluster.* of --config) and read "
        + "boot.event on the event bus instead.")
    boolean cluster;

    @Option(names = {"-c", "--config"}, description = "YAML config (the cluster section, for --cluster).")
    Path config;

    @Option(names = "--mac", description = "Only this machine.") String mac;
    @Option(names = "--image", description = "Only this image.") String image;
    @Option(names = "--stage", description = "Only this stage (e.g. FAILED, DOWNLOAD_COMPLETE).") String stage;
    @Option(names = "--json", description = "One JSON object per line instead of a text line.") boolean json;
    @Option(names = "--count", description = "Stop after this many events (0: never).", defaultValue = "0")
    long count;

    @picocli.CommandLine.Mixin TelemetryAccess access;

    private final AtomicLong printed = new AtomicLong();
    private final CountDownLatch enough = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
      Predicate<BootEvent> wanted;
      try {
        wanted = filter();
      } catch (IllegalArgumentException e) {
        System.err.println("error: " + e.getMessage());
        return 2;
      }
      if (!cluster) {
        return fromStream(wanted);
      }
      try {
        return fromCluster(wanted);
      } catch (IllegalArgumentException e) {
        // a bad cluster section (short secret, unreadable TLS file): the key, not a stack trace
        System.err.println("error: " + e.getMessage());
        return 2;
      }
    }

    private Predicate<BootEvent> filter() {
      String m = mac == null ? null : MacAddress.parse(mac).canonical();
      BootStage s = stage == null ? null : stage(stage);
      return e -> (m == null || m.equals(e.getMac())) && (image == null || image.equals(e.getImage()))
          && (s == null || s == e.getStage());
    }

    private static BootStage stage(String name) {
      try {
        return BootStage.valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown stage '" + name + "'; known: " + Stream.of(BootStage.values())
            .filter(v -> v != BootStage.UNRECOGNIZED && v != BootStage.BOOT_STAGE_UNSPECIFIED).toList());
      }
    }

    /** Prints one event; true once --count events are out. */
    private boolean print(BootEvent e, PrintStream out) {
      out.println(json ? Json.print(e) : EventLine.format(e, ZoneId.systemDefault()));
      out.flush();
      if (count > 0 && printed.incrementAndGet() >= count) {
        enough.countDown();
        return true;
      }
      return false;
    }

    /** The SSE stream of telemetry; reconnects (1 s, doubling to 10 s) when telemetry restarts. */
    private int fromStream(Predicate<BootEvent> wanted) throws InterruptedException {
      HttpClient http = access.client(telemetry);
      URI uri = URI.create(telemetry.replaceAll("/+$", "") + "/api/v1/events/stream" + query());
      long backoff = 1000;
      while (true) {
        try {
          HttpResponse<Stream<String>> response = http.send(access.authorize(HttpRequest.newBuilder(uri))
              .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
          if (response.statusCode() != 200) {
            System.err.println("error: telemetry answered HTTP " + response.statusCode() + " for " + uri);
            if (response.statusCode() == 401) {
              System.err.println(TelemetryAccess.unauthorized());
            }
            return 2;
          }
          backoff = 1000;
          try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
              Optional<BootEvent> event = parseData(line);
              if (event.isPresent() && wanted.test(event.get()) && print(event.get(), System.out)) {
                return 0;
              }
            }
          }
          System.err.println("telemetry closed the stream; reconnecting");
        } catch (IOException e) {
          System.err.println("cannot reach telemetry at " + telemetry + " (" + e.getMessage() + "); retrying in "
              + backoff / 1000 + " s");
        }
        Thread.sleep(backoff);
        backoff = Math.min(10_000, backoff * 2);
      }
    }

    private String query() {
      List<String> params = new ArrayList<>();
      if (mac != null) {
        params.add("mac=" + enc(MacAddress.parse(mac).canonical()));
      }
      if (image != null) {
        params.add("image=" + enc(image));
      }
      if (stage != null) {
        params.add("stage=" + enc(stage(stage).name()));
      }
      return params.isEmpty() ? "" : "?" + String.join("&", params);
    }

    /** A boot event from one SSE line ({@code data: {…}}); comments, ids and blank lines are not. */
    static Optional<BootEvent> parseData(String line) {
      if (!line.startsWith("data:")) {
        return Optional.empty();
      }
      try {
        return Optional.of(Json.parse(line.substring(5).trim(), BootEvent.newBuilder()).build());
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
    }

    /** A member of the cluster: every boot.event of every service, straight from the event bus. */
    private int fromCluster(Predicate<BootEvent> wanted) throws InterruptedException {
      JsonObject tree = BtConfig.load(config, System.getenv());
      ClusterOptions options = ClusterOptions.fromSection(tree.getJsonObject("cluster")).withEnabled(true);
      Vertx vertx = ServerVertx.start(options).await();
      try {
        vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> {
          if (wanted.test(m.body())) {
            print(m.body(), System.out);
          }
        }).completion().await();
        System.err.println("subscribed to " + Addresses.BOOT_EVENT + " in cluster " + options.clusterName());
        enough.await();
        return 0;
      } finally {
        vertx.close().await();
      }
    }

    private static String enc(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
  }
}
