package io.boottorrent.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigSectionTest {
  enum Mode { FULL, PROXY }

  private static ConfigSection section(JsonObject json) {
    return ConfigSection.of("svc", json);
  }

  @Test
  void readsEveryTypeItsKeysHold() {
    ConfigSection s = section(new JsonObject().put("port", 8080).put("big", 5_000_000_000L).put("on", true)
        .put("name", " x ").put("mode", "Proxy").put("list", new JsonArray().add("a").add(" ").add("b"))
        .put("dir", "rel/dir").put("none", ""));
    assertThat(s.port("port")).isEqualTo(8080);
    assertThat(s.longValue("big", 0, Long.MAX_VALUE)).isEqualTo(5_000_000_000L);
    assertThat(s.bool("on")).isTrue();
    assertThat(s.string("name")).isEqualTo("x");
    assertThat(s.enumValue("mode", Mode.class)).isEqualTo(Mode.PROXY);
    assertThat(s.strings("list")).containsExactly("a", "b");
    assertThat(s.optionalPath("dir")).contains(Path.of("rel/dir").toAbsolutePath());
    assertThat(s.optionalPath("none")).isEmpty();
    s.done();
  }

  @Test
  void missingKeyIsNamed() {
    assertThatThrownBy(() -> section(new JsonObject()).port("httpPort"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("svc.httpPort: missing");
  }

  @Test
  void wrongTypeNamesKeyValueAndExpectation() {
    assertThatThrownBy(() -> section(new JsonObject().put("httpPort", "80a")).port("httpPort"))
        .hasMessage("svc.httpPort: expected an integer 0..65535, got \"80a\" (a string)");
    assertThatThrownBy(() -> section(new JsonObject().put("on", "yes")).bool("on"))
        .hasMessage("svc.on: expected true or false, got \"yes\" (a string)");
    assertThatThrownBy(() -> section(new JsonObject().put("list", "a,b")).strings("list"))
        .hasMessage("svc.list: expected a list, got \"a,b\" (a string)");
    assertThatThrownBy(() -> section(new JsonObject().put("list", new JsonArray().add(1))).strings("list"))
        .hasMessage("svc.list[0]: expected a string, got 1 (a number)");
  }

  @Test
  void outOfRangeAndUnknownEnumAreRefused() {
    assertThatThrownBy(() -> section(new JsonObject().put("port", 70_000)).port("port"))
        .hasMessage("svc.port: expected an integer 0..65535, got 70000");
    assertThatThrownBy(() -> section(new JsonObject().put("size", -1)).longValue("size", 0, Long.MAX_VALUE))
        .hasMessage("svc.size: expected an integer >= 0, got -1");
    assertThatThrownBy(() -> section(new JsonObject().put("mode", "half")).enumValue("mode", Mode.class))
        .hasMessage("svc.mode: expected one of full, proxy, got \"half\"");
  }

  @Test
  void anEnumWithOnAndOffTakesYamlsBooleansForThem() {
    enum Switch { ON, OFF, AUTO }
    // SnakeYAML reads an unquoted `off` (or no, false) as false, `on` (yes, true) as true
    assertThat(section(new JsonObject().put("streaming", false)).enumValue("streaming", Switch.class)).isEqualTo(Switch.OFF);
    assertThat(section(new JsonObject().put("streaming", true)).enumValue("streaming", Switch.class)).isEqualTo(Switch.ON);
    assertThatThrownBy(() -> section(new JsonObject().put("mode", true)).enumValue("mode", Mode.class))
        .hasMessage("svc.mode: expected one of full, proxy, got \"on\"");
  }

  @Test
  void keysNobodyReadAreRefusedAtTheEnd() {
    ConfigSection s = section(new JsonObject().put("port", 1).put("prot", 2));
    s.port("port");
    assertThatThrownBy(s::done)
        .isInstanceOf(ConfigException.class)
        .hasMessage("svc.prot: not a config key; known keys of svc: port");
  }

  @Test
  void nestedSectionsAndListItemsCarryTheirPathInMessages() {
    JsonObject json = new JsonObject()
        .put("inner", new JsonObject().put("x", "no"))
        .put("items", new JsonArray().add(new JsonObject().put("y", true)).add("flat"));
    ConfigSection s = section(json);
    assertThatThrownBy(() -> s.section("inner").integer("x", 0, 9)).hasMessageStartingWith("svc.inner.x: ");
    assertThat(s.item("items", 0).bool("y")).isTrue();
    assertThatThrownBy(() -> s.item("items", 1)).hasMessage("svc.items[1]: expected a mapping, got \"flat\" (a string)");
  }
}
