package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.server.Json;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.PathVariants;
import io.boottorrent.testsupport.PathVariants.Lab;
import io.boottorrent.testsupport.PathVariants.Outcome;
import io.boottorrent.testsupport.PathVariants.Plant;
import io.boottorrent.testsupport.PathVariants.Variant;
import io.boottorrent.testsupport.PathVariants.Where;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link PathVariants} variant against the real catalog: the web seed ({@code /seed/}) and HTTP
 * boot ({@code /boot/}) by raw socket requests (HTTP clients would normalise {@code ..} and refuse a
 * NUL before sending), image import by the REST API with an admin token. A served variant must return
 * exactly the file inside the root; a refused one its status, never the secret beside the root, and
 * no server path the request did not carry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PathTraversalTest {
  private static final String IMAGE = "img";

  @TempDir static Path dir;
  Vertx vertx;
  CatalogVerticle verticle;
  Path dataDir;
  Lab boot;
  Lab imports;
  Path payload;
  /** A third name of the web seed's payload file, to put it back after a variant replaced it. */
  Path keep;
  int imageCount;

  @BeforeAll
  void start() throws Exception {
    Gate.requireRoot("the hard-link variants need a file of another owner (chown)");
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    dataDir = dir.resolve("data");
    byte[] content = "the boot file inside the root\n".getBytes(StandardCharsets.US_ASCII);
    imports = PathVariants.lab(dataDir, "import", content);
    boot = PathVariants.lab(dir.resolve("http"), "client", content);
    JsonObject config = TestConfig.loopback(dataDir);
    config.getJsonObject("catalog").put("clientImageDir", boot.root().toString())
        .put("bootFallbackRoots", new JsonArray());
    verticle = Fixtures.catalog(config);
    vertx.deployVerticle(verticle).await(30, TimeUnit.SECONDS);
    // the web seed's image: one file, boot.bin, stored as payload/img/boot.bin (+ blobs/<sha256>)
    Response added = importing(IMAGE, imports.root().resolve(PathVariants.FILE).toString());
    assertThat(added.status).as(added.text()).isEqualTo(201);
    payload = dataDir.resolve("payload").resolve(IMAGE);
    keep = dir.resolve("keep");
    Files.createLink(keep, payload.resolve(PathVariants.FILE));
    Files.writeString(boot.outside().resolve("outdir").resolve(PathVariants.FILE), PathVariants.SECRET);
  }

  @AfterAll
  void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  static List<Variant> variants() {
    return PathVariants.ALL;
  }

  @ParameterizedTest(name = "/boot/ {0}")
  @MethodSource("variants")
  void bootFiles(Variant v) throws Exception {
    Response r = raw("/boot/" + v.request(PathVariants.FILE, boot.parent()));
    assertAnswer(v, Where.BOOT, r, boot.servedBytes(v));
  }

  @ParameterizedTest(name = "/seed/ {0}")
  @MethodSource("variants")
  void webSeed(Variant v) throws Exception {
    // the web seed serves only files its manifest lists: a file-system variant is planted as that file
    String request = v.plant() == Plant.NONE ? v.request(PathVariants.FILE, IMAGE) : PathVariants.FILE;
    byte[] expected = Files.readAllBytes(keep);
    plantInPayload(v.plant());
    try {
      assertAnswer(v, Where.WEB_SEED, raw("/seed/" + IMAGE + "/" + request), expected);
    } finally {
      restorePayload(v.plant());
    }
  }

  @ParameterizedTest(name = "import {0}")
  @MethodSource("variants")
  void imageImport(Variant v) throws Exception {
    String request = v.request(PathVariants.FILE, imports.parent());
    String path = request.startsWith("/") || request.matches("(?s)[A-Za-z]:.*") ? request
        : imports.root() + "/" + request;
    Response r = importing("p" + imageCount++, path);
    Outcome expected = v.expected(Where.IMPORT);
    assertThat(r.status).as("%s: %s", v.label(), r.text()).isEqualTo(expected.importStatus());
    if (expected == Outcome.SERVED) {
      ImageManifest m = Json.parse(r.text(), ImageManifest.newBuilder()).build();
      assertThat(m.getFiles(0).getSha256()).as(v.label()).isEqualTo(Fixtures.sha256(imports.servedBytes(v)));
    } else {
      assertRefusalHidesTheServer(v, r.text().replace(path, "<request>"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"/boot", "/boot/", "/seed", "/seed/",
      "/seed/" + IMAGE + "/"})
  void thePrefixesAloneAreRefusedNotFailed(String target) throws Exception {
    // "/boot/*" also matches "/boot": once a 500 (substring past the end) on /seed
    assertThat(raw(target).status).as(target).isIn(400, 404);
  }

  private void assertAnswer(Variant v, Where where, Response r, byte[] served) {
    Outcome expected = v.expected(where);
    assertThat(r.status).as("%s %s: %s", where, v.label(), r.text()).isEqualTo(expected.httpStatus());
    if (expected == Outcome.SERVED) {
      assertThat(r.body).as(v.label()).isEqualTo(served);
    } else {
      assertRefusalHidesTheServer(v, r.text());
    }
  }

  private void assertRefusalHidesTheServer(Variant v, String answer) {
    assertThat(answer).as(v.label()).doesNotContain(PathVariants.SECRET.trim()).doesNotContain(dir.toString());
  }

  // ---------------------------------------------------------------------------------- web seed plants

  private void plantInPayload(Plant plant) throws IOException {
    Path file = payload.resolve(PathVariants.FILE);
    if (plant == Plant.DIR_OUT) {
      Files.move(payload, payload.resolveSibling(IMAGE + ".orig"));
      Files.createSymbolicLink(payload, boot.outside().resolve("outdir"));
    } else if (plant == Plant.HARD_OWN) {
      // an own file outside with the payload's bytes (the web seed sends the manifest's length)
      Path copy = dir.resolve("own-copy");
      if (!Files.exists(copy)) {
        Files.copy(keep, copy);
      }
      Files.delete(file);
      Files.createLink(file, copy);
    } else if (plant == Plant.LINK_IN) {
      Path blob = dataDir.resolve("blobs").resolve(Fixtures.sha256(Files.readAllBytes(keep)));
      PathVariants.plant(boot, plant, file, blob);
    } else if (plant != Plant.NONE) {
      PathVariants.plant(boot, plant, file, keep);
    }
  }

  private void restorePayload(Plant plant) throws IOException {
    if (plant == Plant.DIR_OUT) {
      Files.delete(payload);
      Files.move(payload.resolveSibling(IMAGE + ".orig"), payload);
    } else if (plant != Plant.NONE) {
      Path file = payload.resolve(PathVariants.FILE);
      Files.deleteIfExists(file);
      Files.createLink(file, keep);
    }
  }

  // ------------------------------------------------------------------------------------------ clients

  record Response(int status, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** One request as raw bytes on a socket: the target goes out exactly as given. */
  private Response raw(String target) throws IOException {
    byte[] head = ("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", verticle.actualPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(head);
      out.flush();
      return parse(socket.getInputStream().readAllBytes());
    }
  }

  private Response importing(String name, String path) throws IOException {
    byte[] json = Json.print(AddImageRequest.newBuilder().setName(name).setKind(ImageKind.QEMU).setDisk(path).build())
        .getBytes(StandardCharsets.UTF_8);
    byte[] head = ("POST /api/v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nAuthorization: " + TestTokens.bearer(dataDir) + "\r\n"
        + "Content-Length: " + json.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", verticle.actualPort())) {
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(head);
      socket.getOutputStream().write(json);
      socket.getOutputStream().flush();
      return parse(socket.getInputStream().readAllBytes());
    }
  }

  /** Status and body of an HTTP/1.1 answer (Content-Length or chunked). */
  private static Response parse(byte[] answer) throws IOException {
    int end = indexOf(answer, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(end).as("an HTTP answer: %s", new String(answer, StandardCharsets.ISO_8859_1)).isPositive();
    String head = new String(answer, 0, end, StandardCharsets.ISO_8859_1);
    int status = Integer.parseInt(head.split(" ", 3)[1]);
    byte[] body = Arrays.copyOfRange(answer, end + 4, answer.length);
    if (head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
      body = dechunk(body);
    }
    return new Response(status, body);
  }

  private static byte[] dechunk(byte[] chunked) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = new java.io.ByteArrayInputStream(chunked);
    while (true) {
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        if (c != '\r') {
          line.append((char) c);
        }
      }
      int size = Integer.parseInt(line.toString().split(";")[0].trim(), 16);
      if (size == 0) {
        return out.toByteArray();
      }
      out.write(in.readNBytes(size));
      in.skip(2);
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
