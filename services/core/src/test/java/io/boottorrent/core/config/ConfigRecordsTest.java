package io.boottorrent.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigRecordsTest {
  enum Mode { FULL, PROXY }

  record Every(
      @Port int httpPort,
      @NonBlank String host,
      String note,
      @Min(1) @Max(10) int retries,
      long limit,
      @Min(-1) long offset,
      boolean on,
      Mode mode,
      Optional<Path> dir,
      List<Path> roots,
      List<String> trackers) {
    Every {
      if (!note.isEmpty() && note.equals(host)) {
        throw new IllegalArgumentException("svc.note must differ from svc.host");
      }
    }
  }

  record Unreadable(Map<String, String> table) {
  }

  private static JsonObject valid() {
    return new JsonObject().put("httpPort", 8080).put("host", " h ").put("note", "").put("retries", 3)
        .put("limit", 5_000_000_000L).put("offset", -1).put("on", true).put("mode", "Proxy").put("dir", "rel")
        .put("roots", new JsonArray().add("/a").add(" ")).put("trackers", new JsonArray().add("http://t/announce"));
  }

  @Test
  void eachComponentIsTheKeyOfItsNameReadByItsType() {
    Every e = ConfigRecords.read("svc", valid(), Every.class);
    assertThat(e).isEqualTo(new Every(8080, "h", "", 3, 5_000_000_000L, -1, true, Mode.PROXY,
        Optional.of(Path.of("rel").toAbsolutePath()), List.of(Path.of("/a")), List.of("http://t/announce")));
  }

  @Test
  void rangesComeFromTheAnnotationsAndDefaultToNoNegatives() {
    assertThatThrownBy(() -> ConfigRecords.read("svc", valid().put("httpPort", 70_000), Every.class))
        .hasMessage("svc.httpPort: expected an integer 0..65535, got 70000");
    assertThatThrownBy(() -> ConfigRecords.read("svc", valid().put("retries", 0), Every.class))
        .hasMessage("svc.retries: expected an integer 1..10, got 0");
    assertThatThrownBy(() -> ConfigRecords.read("svc", valid().put("limit", -5), Every.class))
        .hasMessage("svc.limit: expected an integer >= 0, got -5");
    assertThatThrownBy(() -> ConfigRecords.read("svc", valid().put("offset", -2), Every.class))
        .hasMessage("svc.offset: expected an integer >= -1, got -2");
    assertThatThrownBy(() -> ConfigRecords.read("svc", valid().put("host", " "), Every.class))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("svc.host: ");
  }

  @Test
  void aMissingOrUnknownKeyIsRefusedByName() {
    JsonObject missing = valid();
    missing.remove("mode");
    assertThatThrownBy(() -> ConfigRecords.read("svc", missing, Every.class))
        .hasMessageStartingWith("svc.mode: missing");
    assertThatThrownBy(() -> ConfigRecords.read("svc", valid().put("retry", 2), Every.class))
        .hasMessageStartingWith("svc.retry: not a config key; known keys of svc: httpPort, host, note, retries,");
  }

  @Test
  void theRecordsOwnChecksKeepTheirMessage() {
    assertThatThrownBy(() -> ConfigRecords.read("svc", valid().put("note", "h"), Every.class))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("svc.note must differ from svc.host");
  }

  @Test
  void aComponentTypeWithoutAReaderIsAProgrammingErrorNamingTheKey() {
    assertThatThrownBy(() -> ConfigRecords.read("svc", new JsonObject().put("table", new JsonObject()),
            Unreadable.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("svc.table: no reader for java.util.Map<java.lang.String, java.lang.String>");
  }
}
