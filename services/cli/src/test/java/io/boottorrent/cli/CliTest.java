package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.common.BtConfig;
import io.boottorrent.common.TestSupport;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The `boottorrent` command as an operator uses it, against services it starts in this JVM. */
class CliTest {
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void imageCommandsAddListShowAndDeleteThroughTheCatalogApi() throws Exception {
    // GIVEN catalog + tracker + seeder started the way `serve` starts them
    JsonObject config = TestSupport.loopbackConfig(dir.resolve("data"));
    ServeCommand.Running running = ServeCommand.start(config, Services.DEFAULT);
    try {
      String catalog = "--catalog=http://127.0.0.1:" + config.getJsonObject("catalog").getInteger("httpPort");
      Path imports = Files.createDirectories(dir.resolve("data/import"));
      Files.write(imports.resolve("tool.sh"), "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.US_ASCII));

      // WHEN an exec image is added THEN the summary names it and its torrent
      Run add = run("image", "add", catalog, "--name", "tool", "--kind", "exec",
          "--binary", imports.resolve("tool.sh").toString(), "--arg", "-v");
      assertThat(add.code()).as(add.err()).isZero();
      assertThat(add.out()).startsWith("tool (exec): 18 bytes in 1 file(s)").contains("info-hash ");

      Run list = run("image", "list", catalog);
      assertThat(list.out()).contains("NAME").containsPattern("tool\\s+exec\\s+18\\s+[0-9a-f]{40}");
      Run show = run("image", "show", catalog, "tool");
      assertThat(new JsonObject(show.out()).getJsonArray("args").getString(0)).isEqualTo("-v");

      // AND a duplicate is refused with the catalog's reason and a usage-error exit code
      Run duplicate = run("image", "add", catalog, "--name", "tool", "--kind", "exec",
          "--binary", imports.resolve("tool.sh").toString());
      assertThat(duplicate.code()).isEqualTo(2);
      assertThat(duplicate.err()).contains("error: ").contains("tool").contains("HTTP 409");

      assertThat(run("image", "delete", catalog, "tool").code()).isZero();
      assertThat(run("image", "show", catalog, "tool").code()).isEqualTo(2);
    } finally {
      running.vertx().close().await();
    }
  }

  @Test
  void unreachableCatalogSaysSo() {
    Run r = run("image", "list", "--catalog=http://127.0.0.1:" + TestSupport.freePort());
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("cannot reach the catalog");
  }

  @Test
  void unknownServiceIsRefusedBeforeAnythingStarts() {
    assertThatThrownBy(() -> ServeCommand.start(BtConfig.defaults(), List.of("catalog", "dns")))
        .hasMessageContaining("unknown service 'dns'").hasMessageContaining("tftp");
  }
}
