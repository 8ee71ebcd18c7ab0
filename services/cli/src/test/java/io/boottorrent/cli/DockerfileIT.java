package io.boottorrent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.config.EnvOverrides;
import io.boottorrent.testsupport.Proc;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/Dockerfile, which nothing here can build (no container engine): what it copies exists once
 * the jar is built (an IT: failsafe runs after `package` made services/cli/target/boottorrent.jar), the
 * build context lets it in, and the entrypoint is bin/boottorrent running that jar.
 */
class DockerfileIT {
  private static Path root;
  private static List<String[]> instructions;

  @BeforeAll
  static void read() throws IOException {
    root = KustomizeTest.repoRoot();
    instructions = instructions(Files.readString(root.resolve("deploy/Dockerfile")));
  }

  /** The Dockerfile's instructions, continuation lines joined, comments dropped: {keyword, rest}. */
  static List<String[]> instructions(String text) {
    List<String[]> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      String trimmed = line.strip();
      if (current.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      current.append(trimmed);
      String[] parts = current.toString().split("\\s+", 2);
      out.add(new String[] {parts[0].toUpperCase(), parts.length > 1 ? parts[1].strip() : ""});
      current.setLength(0);
    }
    return out;
  }

  private static List<String> all(String keyword) {
    return instructions.stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
  }

  /** COPY source -> destination, for every COPY (one source each). */
  private static Map<String, String> copies() {
    Map<String, String> copies = new LinkedHashMap<>();
    for (String copy : all("COPY")) {
      List<String> words = Arrays.asList(copy.split("\\s+"));
      assertThat(words).as("COPY " + copy + ": flags (--from, --chown)").noneMatch(w -> w.startsWith("--"));
      assertThat(words).as("COPY " + copy + ": one source, one destination").hasSize(2);
      copies.put(words.get(0), words.get(1));
    }
    return copies;
  }

  @Test
  void everyCopySourceExistsAfterTheBuildAndIsInTheBuildContext() throws IOException {
    Map<String, String> copies = copies();
    assertThat(copies).containsKeys("services/cli/target/boottorrent.jar", "bin/boottorrent");
    List<String> ignore = Files.readAllLines(root.resolve(".dockerignore")).stream()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertThat(ignore).as(".dockerignore: everything out first").first().isEqualTo("*");
    for (String source : copies.keySet()) {
      assertThat(source).as("no globs").doesNotContain("*", "?", "[");
      assertThat(root.resolve(source)).as("COPY source " + source + " (after make build)").isRegularFile();
      assertThat(ignore).as(".dockerignore lets " + source + " in").contains("!" + source);
    }
    try (JarFile jar = new JarFile(root.resolve("services/cli/target/boottorrent.jar").toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.boottorrent.cli.Main");
    }
  }

  @Test
  void theEntrypointIsBinBoottorrentOnTheCopiedJar() {
    Map<String, String> copies = copies();
    List<String> entrypoint = all("ENTRYPOINT");
    assertThat(entrypoint).hasSize(1);
    JsonArray exec = new JsonArray(entrypoint.get(0)); // exec form: a JSON array, no shell in between
    assertThat(exec.getList()).containsExactly(copies.get("bin/boottorrent"));
    assertThat(all("CMD")).containsExactly("[\"serve\"]");
    Map<String, String> env = new LinkedHashMap<>();
    for (String e : all("ENV")) {
      for (String pair : e.split("\\s+")) {
        String[] kv = pair.split("=", 2);
        env.put(kv[0], kv[1]);
      }
    }
    assertThat(env).containsEntry("BOOTTORRENT_JAR", copies.get("services/cli/target/boottorrent.jar"));
    assertThat(env.keySet()).as("no BOOTTORRENT_<config key>: it would override the --config file")
        .filteredOn(k -> k.startsWith(EnvOverrides.PREFIX)).allMatch(EnvOverrides.NOT_CONFIG::contains);
    assertThat(all("FROM")).hasSize(1).allSatisfy(from -> assertThat(from).contains(":").doesNotEndWith(":latest"));
    assertThat(all("USER")).hasSize(1).allSatisfy(user -> assertThat(user).matches("\\d+:\\d+"));
  }

  @Test
  void binBoottorrentPreloadsLibjsigAndRunsTheJar() throws Exception {
    Path script = root.resolve("bin/boottorrent");
    assertThat(Files.isExecutable(script)).isTrue();
    assertThat(Files.readString(script)).contains("libjsig.so", "LD_PRELOAD=$jsig");
    // What the container's entrypoint does, with the image's BOOTTORRENT_JAR pointing at the built jar.
    Proc.Result help = Proc.command(script.toString(), "serve", "--help")
        .env("BOOTTORRENT_JAR", root.resolve("services/cli/target/boottorrent.jar").toString())
        .env("JAVA_HOME", System.getProperty("java.home"))
        .exec(Duration.ofSeconds(60));
    assertThat(help.exit()).as(help.output()).isZero();
    assertThat(help.output()).contains("--services", "--cluster", "--config");
  }
}
