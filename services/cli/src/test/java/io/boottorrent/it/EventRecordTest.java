package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog's 202 for a boot event means telemetry has it on disk: with telemetry down (restarting)
 * the agent gets 503 and sends the event again, instead of an acknowledgement for an event nobody
 * recorded; the telemetry that recorded an event does not record it a second time from the publish.
 */
class EventRecordTest {
  private static final String MAC = "52:54:00:ee:00:01";
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void anEventIsAcknowledgedOnlyOnceTelemetryRecordedItAndRecordedOnce(@TempDir Path dir) throws Exception {
    try (Stack stack = new Stack(dir, 0, false)) {
      assertThat(post(stack, "IMAGE_CHOSEN").statusCode()).isEqualTo(202);
      assertThat(stages(stack)).containsExactly("IMAGE_CHOSEN");

      stack.stopTelemetry();
      HttpResponse<String> down = post(stack, "DOWNLOAD_STARTED");
      assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
      assertThat(down.headers().firstValue("Retry-After")).isPresent();
      assertThat(down.body()).contains("not recorded").doesNotContain(dir.toString());

      stack.startTelemetry();
      assertThat(post(stack, "DOWNLOAD_COMPLETE").statusCode()).isEqualTo(202);
      // what was acknowledged survived the restart (journal), what was refused was never listed
      assertThat(stages(stack)).containsExactly("IMAGE_CHOSEN", "DOWNLOAD_COMPLETE");
    }
  }

  private HttpResponse<String> post(Stack stack, String stage) throws Exception {
    String body = new JsonObject().put("mac", MAC).put("stage", stage).put("image", "demo").encode();
    return http.send(HttpRequest.newBuilder(URI.create(stack.catalogUrl() + "/api/v1/events"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The machine's stages as telemetry lists them (order as listed: oldest first). */
  private static List<String> stages(Stack stack) throws Exception {
    JsonArray events = new JsonObject(stack.telemetry("/api/v1/events?mac=" + MAC + "&limit=100")).getJsonArray("events");
    return events.stream().map(e -> ((JsonObject) e).getString("stage")).toList();
  }
}
