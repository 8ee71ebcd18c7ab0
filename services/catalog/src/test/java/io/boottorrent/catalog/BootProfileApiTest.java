package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.CreateTokenRequest;
import io.boottorrent.proto.CreatedToken;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.Role;
import io.boottorrent.server.Json;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code /api/v1/images/{name}/boot-profile}: learned from the first agent that posts one for the
 * image's torrent (open, like the events), read by the later ones (open), deleted by an operator;
 * kept beside the manifest across restarts and dropped with it (docs/SECURITY.md "Boot profiles").
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class BootProfileApiTest {
  static final String PROTOBUF = "application/x-protobuf";
  static final String PATH = "/api/v1/images/demo/boot-profile";
  static final int MAX_PIECES = 8;

  @TempDir Path dir;
  Vertx vertx;
  JsonObject config;
  CatalogVerticle verticle;
  WebClient client;
  Path imports;
  /** {@code Bearer <the admin token>}: sent with the image adds and deletes only. */
  String bearer;
  ImageManifest demo;
  /** Pieces of image demo: ceil(total_size / piece_length). */
  int pieces;

  @BeforeEach
  void deploy(Vertx vertx) {
    this.vertx = vertx;
    Codecs.registerAll(vertx.eventBus());
    config = TestConfig.loopback(dir);
    // the profile's routes are open whatever openReads says: here the other reads need a token
    config.getJsonObject("auth").put("openReads", false);
    config.getJsonObject("catalog").put("bootProfileMaxPieces", MAX_PIECES);
    imports = dir.resolve("import");
    writeRandom(imports.resolve("vmlinuz"), 200 * 1024 + 11, 1);
    writeRandom(imports.resolve("initrd.img"), 500 * 1024 + 3, 2);
    start();
    bearer = TestTokens.bearer(dir);
    demo = addImage("demo");
    pieces = (int) ((demo.getTotalSize() + demo.getPieceLength() - 1) / demo.getPieceLength());
  }

  void start() {
    verticle = Fixtures.catalog(config);
    await(vertx.deployVerticle(verticle));
    client = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()));
  }

  void restart() {
    await(vertx.undeploy(verticle.deploymentID()));
    start();
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }

  ImageManifest addImage(String name) {
    AddImageRequest add = AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(imports.resolve("vmlinuz").toString()).setInitrd(imports.resolve("initrd.img").toString()).build();
    HttpResponse<Buffer> r = send(HttpMethod.POST, "/api/v1/images", bearer, add);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return parse(r, ImageManifest.newBuilder()).build();
  }

  void deleteImage(String name) {
    assertThat(send(HttpMethod.DELETE, "/api/v1/images/" + name, bearer, null).statusCode()).isEqualTo(204);
  }

  /** What a streaming agent of image demo records: its first {@code n} pieces read backwards, 10 ms apart. */
  BootProfile.Builder recorded(int n, String mac) {
    BootProfile.Builder p = BootProfile.newBuilder().setInfoHash(demo.getInfoHash()).setRecordedBy(mac);
    IntStream.range(0, n).forEach(i -> p.addPieces(pieces - 1 - i).addReadAtMs(10 * i));
    return p;
  }

  HttpResponse<Buffer> send(HttpMethod method, String path, String authorization, com.google.protobuf.Message body) {
    HttpRequest<Buffer> r = client.request(method, path);
    if (authorization != null) {
      r.putHeader("Authorization", authorization);
    }
    return body == null ? await(r.send())
        : await(r.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(Json.print(body))));
  }

  /** An agent's post: no token. */
  HttpResponse<Buffer> post(BootProfile.Builder profile) {
    return send(HttpMethod.POST, PATH, null, profile.build());
  }

  HttpResponse<Buffer> get() {
    return send(HttpMethod.GET, PATH, null, null);
  }

  static <B extends com.google.protobuf.Message.Builder> B parse(HttpResponse<Buffer> r, B builder) {
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    try {
      return Json.parse(r.bodyAsString(), builder);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static void assertError(HttpResponse<Buffer> r, int status, String reason) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("status")).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo(reason);
  }

  Path profileFile() {
    return dir.resolve("catalog/images/demo.boot-profile.pb");
  }

  // ------------------------------------------------------------------------------- learning one

  @Test
  void theFirstAgentsProfileIsStoredAndServedToTheNextInJsonOrProtobuf() throws Exception {
    // GIVEN an image nobody has booted yet: no profile
    assertError(get(), 404, "image demo has no boot profile yet");
    // WHEN its first streaming agent posts one, without a token, naming its MAC in upper case with dashes
    long before = System.currentTimeMillis();
    HttpResponse<Buffer> r = post(recorded(3, "AA-BB-CC-DD-EE-01"));
    long after = System.currentTimeMillis();
    // THEN 201 with the profile as stored: the image named, the MAC canonical, the catalog's time
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    assertThat(r.getHeader("Location")).isEqualTo(PATH);
    BootProfile stored = parse(r, BootProfile.newBuilder()).build();
    assertThat(stored.getImage()).isEqualTo("demo");
    assertThat(stored.getInfoHash()).isEqualTo(demo.getInfoHash());
    assertThat(stored.getPiecesList()).containsExactly(pieces - 1, pieces - 2, pieces - 3);
    assertThat(stored.getReadAtMsList()).containsExactly(0, 10, 20);
    assertThat(stored.getRecordedBy()).isEqualTo("aa:bb:cc:dd:ee:01");
    assertThat(stored.getRecordedAtMs()).isBetween(before, after);
    // AND the next agent gets it, without a token, in JSON and in protobuf
    HttpResponse<Buffer> json = get();
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(parse(json, BootProfile.newBuilder()).build()).isEqualTo(stored);
    HttpResponse<Buffer> binary = await(client.get(PATH).putHeader("Accept", PROTOBUF).send());
    assertThat(binary.statusCode()).isEqualTo(200);
    assertThat(binary.getHeader("Content-Type")).isEqualTo(PROTOBUF);
    assertThat(BootProfile.parseFrom(binary.bodyAsBuffer().getBytes())).isEqualTo(stored);
    // AND on disk it is beside the manifest
    assertThat(BootProfile.parseFrom(Files.readAllBytes(profileFile()))).isEqualTo(stored);
  }

  @Test
  void anAgentMayPostInProtobufAndNameTheImage() throws Exception {
    HttpResponse<Buffer> r = await(client.post(PATH).putHeader("Content-Type", PROTOBUF).putHeader("Accept", PROTOBUF)
        .sendBuffer(Buffer.buffer(recorded(1, "aabbccddee01").setImage("demo").build().toByteArray())));
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(BootProfile.parseFrom(r.bodyAsBuffer().getBytes()).getRecordedBy()).isEqualTo("aa:bb:cc:dd:ee:01");
  }

  @Test
  void theFirstProfileWinsAndASecondIs409NamingWhoRecordedTheFirstAndWhen() {
    // GIVEN a stored profile
    BootProfile first = parse(post(recorded(2, "aa:bb:cc:dd:ee:01")), BootProfile.newBuilder()).build();
    // WHEN another host posts one of its own for the same torrent
    HttpResponse<Buffer> second = post(recorded(5, "aa:bb:cc:dd:ee:02"));
    // THEN 409 naming the first one's recorder and time, and the first one is still served
    assertError(second, 409, "image demo has a boot profile already, recorded by aa:bb:cc:dd:ee:01 at "
        + Instant.ofEpochMilli(first.getRecordedAtMs()) + " on torrent " + demo.getInfoHash()
        + "; the first one stays until an operator deletes it (DELETE " + PATH + ")");
    assertThat(parse(get(), BootProfile.newBuilder()).build()).isEqualTo(first);
  }

  @Test
  void anUnknownImageIs404NamingIt() {
    String path = "/api/v1/images/nope/boot-profile";
    assertError(send(HttpMethod.GET, path, null, null), 404, "no image named 'nope'");
    assertError(send(HttpMethod.POST, path, null, recorded(1, "aa:bb:cc:dd:ee:01").build()), 404,
        "no image named 'nope'");
    assertError(send(HttpMethod.DELETE, path, bearer, null), 404, "no image named 'nope'");
  }

  // ---------------------------------------------------------------------------------- validation

  static Stream<Arguments> badProfiles() {
    return Stream.of(
        Arguments.of("another image's name", (UnaryOperator<BootProfile.Builder>) p -> p.setImage("other"), 400,
            "image 'other' in the body is not 'demo' in the path"),
        Arguments.of("no info hash", (UnaryOperator<BootProfile.Builder>) p -> p.clearInfoHash(), 400,
            "info_hash is required: the torrent the profile was recorded on (image demo is @HASH@)"),
        Arguments.of("another torrent", (UnaryOperator<BootProfile.Builder>) p -> p.setInfoHash("0".repeat(40)), 409,
            "profile recorded on torrent " + "0".repeat(40) + ", image demo is now @HASH@"),
        Arguments.of("recorded_by not a MAC", (UnaryOperator<BootProfile.Builder>) p -> p.setRecordedBy("node-7"), 400,
            "recorded_by 'node-7' is not a MAC address (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff "
                + "or aabbccddeeff)"),
        Arguments.of("no recorded_by", (UnaryOperator<BootProfile.Builder>) p -> p.clearRecordedBy(), 400,
            "recorded_by '' is not a MAC address (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff "
                + "or aabbccddeeff)"),
        Arguments.of("no pieces", (UnaryOperator<BootProfile.Builder>) p -> p.clearPieces().clearReadAtMs(), 400,
            "pieces is empty: a profile names at least one piece"),
        Arguments.of("more than bootProfileMaxPieces", (UnaryOperator<BootProfile.Builder>) p -> {
          IntStream.range(0, MAX_PIECES - 2).forEach(i -> p.addPieces(i).addReadAtMs(100));
          return p;
        }, 400, (MAX_PIECES + 1) + " pieces; at most " + MAX_PIECES + " (catalog.bootProfileMaxPieces)"),
        Arguments.of("a negative piece", (UnaryOperator<BootProfile.Builder>) p -> p.setPieces(1, -1), 400,
            "pieces[1] = -1 is not a piece of image demo (@PIECES@ pieces: 0..@LAST@)"),
        Arguments.of("a piece past the end", (UnaryOperator<BootProfile.Builder>) p -> p.setPieces(2, Integer.MAX_VALUE),
            400, "pieces[2] = " + Integer.MAX_VALUE + " is not a piece of image demo (@PIECES@ pieces: 0..@LAST@)"),
        Arguments.of("a piece twice", (UnaryOperator<BootProfile.Builder>) p -> p.setPieces(2, p.getPieces(0)), 400,
            "pieces[2] = @LAST@ repeats pieces[0]"),
        Arguments.of("fewer times than pieces", (UnaryOperator<BootProfile.Builder>) p -> p.clearReadAtMs()
            .addReadAtMs(0).addReadAtMs(1), 400, "read_at_ms has 2 entries, pieces 3: one time per piece"),
        Arguments.of("a negative time", (UnaryOperator<BootProfile.Builder>) p -> p.setReadAtMs(0, -5), 400,
            "read_at_ms[0] = -5 is negative"),
        Arguments.of("times going back", (UnaryOperator<BootProfile.Builder>) p -> p.setReadAtMs(2, 5), 400,
            "read_at_ms[2] = 5 is before read_at_ms[1] = 10: the times are in the order first read"));
  }

  @ParameterizedTest(name = "{0} → {2}")
  @MethodSource("badProfiles")
  void aBadProfileIsRefusedNamingTheBadValueAndNothingIsStored(String what, UnaryOperator<BootProfile.Builder> spoil,
      int status, String reason) {
    // GIVEN a valid profile of three pieces, spoilt one way
    BootProfile.Builder profile = spoil.apply(recorded(3, "aa:bb:cc:dd:ee:01"));
    // WHEN an agent posts it
    HttpResponse<Buffer> r = post(profile);
    // THEN the answer names the bad value
    assertError(r, status, reason.replace("@HASH@", demo.getInfoHash()).replace("@PIECES@", Integer.toString(pieces))
        .replace("@LAST@", Integer.toString(pieces - 1)));
    // AND nothing is stored: the next valid profile is taken
    assertError(get(), 404, "image demo has no boot profile yet");
    assertThat(profileFile()).doesNotExist();
    assertThat(post(recorded(3, "aa:bb:cc:dd:ee:01")).statusCode()).isEqualTo(201);
  }

  @Test
  void aMalformedBodyIs400() {
    HttpResponse<Buffer> r = await(client.post(PATH).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer("{\"pieces\": \"many\"}")));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getString("error")).startsWith("malformed BootProfile");
  }

  @Test
  void noImageNameEndsInBootProfileSinceThatIsAProfilesFileName() {
    HttpResponse<Buffer> r = send(HttpMethod.POST, "/api/v1/images", bearer, AddImageRequest.newBuilder()
        .setName("demo.boot-profile").setKind(ImageKind.KEXEC).setKernel(imports.resolve("vmlinuz").toString()).build());
    assertError(r, 400, "invalid image name 'demo.boot-profile': it may not end in .boot-profile "
        + "(<name>.boot-profile.pb is image <name>'s boot profile)");
  }

  @Test
  void postsFromOneAddressTakeFromItsEventBudgetAndBeyondItAre429WithRetryAfter() {
    // GIVEN a catalog that lets one address post 3 at once, refilled at 1/s
    await(vertx.undeploy(verticle.deploymentID()));
    config.getJsonObject("catalog").put("eventBurstPerSource", 3).put("eventRatePerSource", 1);
    start();
    // WHEN one address posts four profiles at once (refused ones count too)
    List<Integer> answers = IntStream.range(0, 3)
        .mapToObj(i -> post(recorded(1, "aa:bb:cc:dd:ee:01").setInfoHash("")).statusCode()).toList();
    HttpResponse<Buffer> fourth = post(recorded(1, "aa:bb:cc:dd:ee:01"));
    // THEN the fourth is 429 with Retry-After, before it is even read
    assertThat(answers).containsOnly(400);
    assertThat(fourth.statusCode()).as(fourth.bodyAsString()).isEqualTo(429);
    assertThat(Long.parseLong(fourth.getHeader("Retry-After"))).isPositive();
    assertThat(fourth.bodyAsJsonObject().getString("error"))
        .startsWith("too many boot profiles and boot events from 127.0.0.1 (catalog.eventRatePerSource and "
            + "eventBurstPerSource); retry in ");
    // AND that address's events share the budget
    HttpResponse<Buffer> event = send(HttpMethod.POST, "/api/v1/events", null,
        BootEvent.newBuilder().setMac("aa:bb:cc:dd:ee:01").setStage(BootStage.AGENT_STARTED).build());
    assertThat(event.statusCode()).isEqualTo(429);
    assertThat(profileFile()).doesNotExist();
  }

  // ------------------------------------------------------------------------------------- deleting

  @Test
  void deletingNeedsAnOperatorAndThenTheNextProfilePostedIsTaken() {
    // GIVEN a stored profile and a viewer token
    assertThat(post(recorded(2, "aa:bb:cc:dd:ee:01")).statusCode()).isEqualTo(201);
    HttpResponse<Buffer> created = send(HttpMethod.POST, "/api/v1/tokens", bearer,
        CreateTokenRequest.newBuilder().setName("dash").setRole(Role.VIEWER).build());
    String viewer = "Bearer " + parse(created, CreatedToken.newBuilder()).getSecret();
    // WHEN it is deleted without a token, or with a viewer's
    HttpResponse<Buffer> none = send(HttpMethod.DELETE, PATH, null, null);
    HttpResponse<Buffer> weak = send(HttpMethod.DELETE, PATH, viewer, null);
    // THEN 401 and 403, each naming the role needed, and the profile stays
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.bodyAsJsonObject().getString("error"))
        .startsWith("DELETE " + PATH + " needs a bearer token with role operator");
    assertThat(weak.statusCode()).isEqualTo(403);
    assertThat(weak.bodyAsJsonObject().getString("error")).contains("needs a bearer token with role operator");
    assertThat(get().statusCode()).isEqualTo(200);
    // WHEN an operator deletes it
    HttpResponse<Buffer> deleted = send(HttpMethod.DELETE, PATH, bearer, null);
    // THEN 204, it is gone (from disk too), a second delete is 404
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertError(get(), 404, "image demo has no boot profile yet");
    assertThat(profileFile()).doesNotExist();
    assertError(send(HttpMethod.DELETE, PATH, bearer, null), 404, "image demo has no boot profile");
    // AND the next agent's profile is learned
    HttpResponse<Buffer> again = post(recorded(4, "aa:bb:cc:dd:ee:02"));
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(parse(get(), BootProfile.newBuilder()).getRecordedBy()).isEqualTo("aa:bb:cc:dd:ee:02");
  }

  // ------------------------------------------------------------------------------- on disk

  @Test
  void aProfileSurvivesARestartOnTheSameDataDirAndStillWins() {
    // GIVEN a stored profile
    BootProfile stored = parse(post(recorded(3, "aa:bb:cc:dd:ee:01")), BootProfile.newBuilder()).build();
    // WHEN the catalog is restarted on the same data dir
    restart();
    // THEN it is served as before, a second one is still refused, and the image was not taken for a
    // manifest (nothing set aside)
    assertThat(parse(get(), BootProfile.newBuilder()).build()).isEqualTo(stored);
    assertThat(post(recorded(1, "aa:bb:cc:dd:ee:02")).statusCode()).isEqualTo(409);
    assertThat(Fixtures.tree(dir.resolve("catalog/images")))
        .containsExactlyInAnyOrder("demo.pb", "demo.boot-profile.pb");
  }

  @Test
  void aProfileGoesWithItsImageEvenWhenTheSameContentIsAddedAgain() {
    // GIVEN a stored profile
    assertThat(post(recorded(3, "aa:bb:cc:dd:ee:01")).statusCode()).isEqualTo(201);
    // WHEN the image is deleted
    deleteImage("demo");
    // THEN so is its profile
    assertThat(profileFile()).doesNotExist();
    // AND an image of that name added again, here with the same files (so the same torrent), has none
    ImageManifest again = addImage("demo");
    assertThat(again.getInfoHash()).isEqualTo(demo.getInfoHash());
    assertError(get(), 404, "image demo has no boot profile yet");
  }

  @Test
  void aProfileOfAnEarlierTorrentOfTheNameIsNeverServedAndIsDropped() throws Exception {
    // GIVEN a profile of image demo's torrent, its file kept aside while the catalog is stopped
    assertThat(post(recorded(3, "aa:bb:cc:dd:ee:01")).statusCode()).isEqualTo(201);
    await(vertx.undeploy(verticle.deploymentID()));
    Path kept = dir.resolve("kept.boot-profile.pb");
    Files.copy(profileFile(), kept);
    start();
    // AND demo re-added with other content, so another torrent
    deleteImage("demo");
    writeRandom(imports.resolve("vmlinuz"), 200 * 1024 + 11, 3);
    ImageManifest readded = addImage("demo");
    assertThat(readded.getInfoHash()).isNotEqualTo(demo.getInfoHash());
    // WHEN the old profile is back in place at a start (a crash before its delete reached the disk)
    await(vertx.undeploy(verticle.deploymentID()));
    Files.copy(kept, profileFile(), StandardCopyOption.REPLACE_EXISTING);
    start();
    // THEN it is not served, and it is gone from disk
    assertError(get(), 404, "image demo has no boot profile yet");
    assertThat(profileFile()).doesNotExist();
    // AND an agent still holding the old torrent's profile is told which torrent demo is now
    assertError(post(recorded(3, "aa:bb:cc:dd:ee:01")), 409, "profile recorded on torrent " + demo.getInfoHash()
        + ", image demo is now " + readded.getInfoHash());
    // AND one recorded on the new torrent is taken
    demo = readded;
    assertThat(post(recorded(2, "aa:bb:cc:dd:ee:02")).statusCode()).isEqualTo(201);
  }

  @Test
  void anUnreadableProfileFileIsIgnoredAtStartAndReplacedByTheNextOnePosted() throws Exception {
    // GIVEN a profile file that is not one (a torn write on a file system without atomic renames, a hand edit)
    await(vertx.undeploy(verticle.deploymentID()));
    Files.write(profileFile(), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
    // WHEN the catalog starts
    start();
    // THEN it starts, serves the image and no profile, and takes the next one posted
    assertThat(send(HttpMethod.GET, "/api/v1/images/demo", null, null).statusCode()).isEqualTo(200);
    assertError(get(), 404, "image demo has no boot profile yet");
    BootProfile stored = parse(post(recorded(2, "aa:bb:cc:dd:ee:01")), BootProfile.newBuilder()).build();
    assertThat(BootProfile.parseFrom(Files.readAllBytes(profileFile()))).isEqualTo(stored);
  }
}
