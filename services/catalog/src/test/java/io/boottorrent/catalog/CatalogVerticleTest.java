package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.sha256;
import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.server.Json;
import io.boottorrent.testsupport.Ports;
import io.boottorrent.testsupport.TestConfig;
import io.boottorrent.testsupport.TestTokens;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootRule;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.Codecs;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.libtorrent4j.TorrentInfo;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class CatalogVerticleTest {
  static final String PROTOBUF = "application/x-protobuf";
  static final String MAC = "aa:bb:cc:dd:ee:01";

  @TempDir Path dir;
  Vertx vertx;
  JsonObject config;
  CatalogVerticle verticle;
  WebClient client;
  Path imports;
  byte[] kernel;
  byte[] initrd;
  /** {@code Bearer <the admin token the first start wrote>}: sent with every write. */
  String bearer;

  @BeforeEach
  void deploy(Vertx vertx) {
    this.vertx = vertx;
    Codecs.registerAll(vertx.eventBus());
    config = TestConfig.loopback(dir);
    imports = dir.resolve("import");
    kernel = writeRandom(imports.resolve("vmlinuz"), 200 * 1024 + 11, 1);
    initrd = writeRandom(imports.resolve("initrd.img"), 500 * 1024 + 3, 2);
    verticle = Fixtures.catalog(config);
    await(vertx.deployVerticle(verticle));
    bearer = TestTokens.bearer(dir);
    client = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()));
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("timed out", e);
    }
  }

  AddImageRequest.Builder kexec(String name) {
    return AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(imports.resolve("vmlinuz").toString())
        .setInitrd(imports.resolve("initrd.img").toString())
        .setCmdline("console=ttyS0");
  }

  HttpResponse<Buffer> postJson(String path, com.google.protobuf.Message body) {
    return await(client.post(path).putHeader("Content-Type", "application/json").putHeader("Authorization", bearer)
        .sendBuffer(Buffer.buffer(Json.print(body))));
  }

  ImageManifest addOverRest(String name) {
    HttpResponse<Buffer> r = postJson("/api/v1/images", kexec(name).build());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return parseJson(r, ImageManifest.newBuilder()).build();
  }

  static <B extends com.google.protobuf.Message.Builder> B parseJson(HttpResponse<Buffer> r, B builder) {
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    try {
      return Json.parse(r.bodyAsString(), builder);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  <T> Future<T> nextOn(String address) {
    Promise<T> promise = Promise.promise();
    await(vertx.eventBus().<T>consumer(address, m -> promise.tryComplete(m.body())).completion());
    return promise.future();
  }

  // -------------------------------------------------------------------------------------- images

  @Test
  void addingAnImageAnswers201AndPublishesItWithTorrentBytes() throws Exception {
    // GIVEN a listener on catalog.image.added
    Future<ImageEvent> added = nextOn(Addresses.IMAGE_ADDED);
    // WHEN an operator adds a kexec image as JSON
    HttpResponse<Buffer> r = postJson("/api/v1/images", kexec("demo").setDescription("d").build());
    // THEN the answer is 201 with the manifest, without torrent bytes
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.getHeader("Location")).isEqualTo("/api/v1/images/demo");
    ImageManifest m = parseJson(r, ImageManifest.newBuilder()).build();
    assertThat(m.getName()).isEqualTo("demo");
    assertThat(m.getTorrent().isEmpty()).isTrue();
    assertThat(m.getFilesList()).extracting(f -> f.getPath() + "=" + f.getSha256())
        .containsExactly("vmlinuz=" + sha256(kernel), "initrd=" + sha256(initrd));
    // AND the event carries the full manifest, with a torrent that has this catalog as web seed
    ImageEvent event = await(added);
    assertThat(event.getType()).isEqualTo(ImageEvent.Type.ADDED);
    // (the answer is also signed; the bus carries the stored manifest, which is not)
    assertThat(event.getImage().toBuilder().clearTorrent().build()).isEqualTo(m.toBuilder().clearSigned().build());
    assertThat(m.getSigned().getSignaturesCount()).isEqualTo(1);
    byte[] torrent = event.getImage().getTorrent().toByteArray();
    assertThat(TorrentFactory.infoHash(torrent)).isEqualTo(m.getInfoHash());
    TorrentInfo info = TorrentInfo.bdecode(torrent);
    assertThat(info.webSeeds()).extracting(w -> w.url())
        .containsExactly("http://127.0.0.1:" + verticle.actualPort() + "/seed/");
    assertThat(info.trackers()).extracting(t -> t.url()).containsExactly(
        "http://127.0.0.1:" + config.getJsonObject("tracker").getInteger("httpPort") + "/announce");
  }

  @Test
  void anAgentCanAddAndReadInBinaryProtobuf() throws Exception {
    // WHEN the request and the answer are binary protobuf
    HttpResponse<Buffer> r = await(client.post("/api/v1/images").putHeader("Authorization", bearer)
        .putHeader("Content-Type", PROTOBUF).putHeader("Accept", PROTOBUF)
        .sendBuffer(Buffer.buffer(kexec("binary").build().toByteArray())));
    // THEN the manifest comes back in binary
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.getHeader("Content-Type")).isEqualTo(PROTOBUF);
    ImageManifest m = ImageManifest.parseFrom(r.bodyAsBuffer().getBytes());
    assertThat(m.getName()).isEqualTo("binary");
    assertThat(m.getTotalSize()).isEqualTo(kernel.length + initrd.length);
  }

  @Test
  void imagesCanBeListedShownFetchedAsTorrentAndDeleted() throws Exception {
    // GIVEN two images
    ImageManifest beta = addOverRest("beta");
    ImageManifest alpha = addOverRest("alpha");
    // WHEN they are listed
    HttpResponse<Buffer> list = await(client.get("/api/v1/images").send());
    // THEN both come in name order, without torrent bytes
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(parseJson(list, ImageList.newBuilder()).getImagesList()).containsExactly(alpha, beta);
    // AND one can be shown
    HttpResponse<Buffer> show = await(client.get("/api/v1/images/alpha").send());
    assertThat(parseJson(show, ImageManifest.newBuilder()).build()).isEqualTo(alpha);
    // AND its .torrent downloaded
    HttpResponse<Buffer> torrent = await(client.get("/api/v1/images/alpha/torrent").send());
    assertThat(torrent.statusCode()).isEqualTo(200);
    assertThat(torrent.getHeader("Content-Type")).isEqualTo("application/x-bittorrent");
    assertThat(TorrentFactory.infoHash(torrent.bodyAsBuffer().getBytes())).isEqualTo(alpha.getInfoHash());

    // WHEN one is deleted
    Future<ImageEvent> removed = nextOn(Addresses.IMAGE_REMOVED);
    HttpResponse<Buffer> delete = await(client.delete("/api/v1/images/alpha").putHeader("Authorization", bearer).send());
    // THEN 204, a REMOVED event, and it is gone
    assertThat(delete.statusCode()).isEqualTo(204);
    ImageEvent event = await(removed);
    assertThat(event.getType()).isEqualTo(ImageEvent.Type.REMOVED);
    assertThat(event.getImage().getName()).isEqualTo("alpha");
    assertThat(event.getImage().getInfoHash()).isEqualTo(alpha.getInfoHash());
    assertThat(await(client.get("/api/v1/images/alpha").send()).statusCode()).isEqualTo(404);
    assertThat(parseJson(await(client.get("/api/v1/images").send()), ImageList.newBuilder()).getImagesList())
        .containsExactly(beta);
    assertThat(dir.resolve("payload/alpha")).doesNotExist();
  }

  @Test
  void imageListRequestsOnTheBusGetEveryImageWithTorrentBytes(VertxTestContext ctx) {
    // GIVEN one image
    ImageManifest m = addOverRest("demo");
    // WHEN a seeder asks on catalog.image.list
    vertx.eventBus().<ImageList>request(Addresses.IMAGE_LIST, ImageList.getDefaultInstance())
        .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
          // THEN the reply holds the image with its torrent
          ImageList list = reply.body();
          assertThat(list.getImagesCount()).isEqualTo(1);
          assertThat(list.getImages(0).getName()).isEqualTo("demo");
          assertThat(TorrentFactory.infoHash(list.getImages(0).getTorrent().toByteArray()))
              .isEqualTo(m.getInfoHash());
          ctx.completeNow();
        })));
  }

  @Test
  void imagesSurviveARedeployOnTheSameDataDir() {
    // GIVEN an image
    ImageManifest m = addOverRest("demo");
    // WHEN the catalog is undeployed and deployed again on the same data dir
    await(vertx.undeploy(verticle.deploymentID()));
    CatalogVerticle again = Fixtures.catalog(config);
    await(vertx.deployVerticle(again));
    // THEN the image is still listed
    HttpResponse<Buffer> r = await(client.get(again.actualPort(), "127.0.0.1", "/api/v1/images/demo").send());
    assertThat(parseJson(r, ImageManifest.newBuilder()).build()).isEqualTo(m);
  }

  @Test
  void aSecondCatalogOnTheSameDataDirFailsToStart() {
    // WHEN another catalog is deployed on the data dir in use
    JsonObject other = config.copy();
    other.getJsonObject("catalog").put("httpPort", Ports.freeTcp());
    Future<String> deployed = vertx.deployVerticle(Fixtures.catalog(other));
    // THEN its deployment fails with the reason
    Throwable failure = await(deployed.transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(failure).isNotNull().hasMessageContaining("in use");
  }

  // ------------------------------------------------------------------------------------- errors

  static Stream<Arguments> clientErrors() {
    String big = "{\"name\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}";
    return Stream.of(
        Arguments.of("malformed JSON", HttpMethod.POST, "/api/v1/images", "{", 400, "malformed"),
        Arguments.of("empty body", HttpMethod.POST, "/api/v1/images", "", 400, "empty"),
        Arguments.of("malformed protobuf", HttpMethod.POST, "/api/v1/images", "\u00ff\u00ff\u00ff", 400, "malformed"),
        Arguments.of("missing kernel", HttpMethod.POST, "/api/v1/images", "{\"name\":\"x\",\"kind\":\"KEXEC\"}", 400,
            "kernel is required"),
        Arguments.of("missing kind", HttpMethod.POST, "/api/v1/images", "{\"name\":\"x\",\"kernel\":\"/k\"}", 422,
            "kind"),
        Arguments.of("unknown kind", HttpMethod.POST, "/api/v1/images",
            "{\"name\":\"x\",\"kind\":\"FLOPPY\",\"kernel\":\"/k\"}", 422, "kind"),
        Arguments.of("kernel outside the import root", HttpMethod.POST, "/api/v1/images",
            "{\"name\":\"x\",\"kind\":\"KEXEC\",\"kernel\":\"/etc/hostname\"}", 403, "import root"),
        // each was a 500 (InvalidPathException) before BadRequestSweepTest found it
        Arguments.of("a NUL byte in a qemu disk path", HttpMethod.POST, "/api/v1/images",
            "{\"name\":\"x\",\"kind\":\"QEMU\",\"disk\":\"@IMPORT@/d\\u0000isk.img\"}", 400, "disk: invalid path"),
        Arguments.of("a NUL byte in an exec binary path", HttpMethod.POST, "/api/v1/images",
            "{\"name\":\"x\",\"kind\":\"EXEC\",\"binary\":\"\\u0000\"}", 400, "binary: "),
        Arguments.of("a broken percent-escape in an image name", HttpMethod.GET, "/api/v1/images/demo%zz", null, 400,
            "malformed percent-encoding"),
        Arguments.of("a form body", HttpMethod.POST, "/api/v1/images", "name=x", 415,
            "not application/x-www-form-urlencoded"),
        Arguments.of("missing file", HttpMethod.POST, "/api/v1/images",
            "{\"name\":\"x\",\"kind\":\"KEXEC\",\"kernel\":\"@IMPORT@/nope\"}", 422, "no such file"),
        Arguments.of("duplicate name", HttpMethod.POST, "/api/v1/images",
            "{\"name\":\"existing\",\"kind\":\"KEXEC\",\"kernel\":\"@IMPORT@/vmlinuz\"}", 409, "exists already"),
        Arguments.of("body over 1 MiB", HttpMethod.POST, "/api/v1/images", big, 413, "larger than"),
        Arguments.of("unknown image", HttpMethod.GET, "/api/v1/images/nope", null, 404, "nope"),
        Arguments.of("torrent of an unknown image", HttpMethod.GET, "/api/v1/images/nope/torrent", null, 404, "nope"),
        Arguments.of("delete an unknown image", HttpMethod.DELETE, "/api/v1/images/nope", null, 404, "nope"),
        Arguments.of("boot with a bad MAC", HttpMethod.GET, "/api/v1/boot/zz-top", null, 400, "MAC"),
        Arguments.of("policy naming a missing image", HttpMethod.PUT, "/api/v1/policy",
            "{\"defaultImage\":\"ghost\"}", 422, "ghost"),
        Arguments.of("policy rule without mac or group", HttpMethod.PUT, "/api/v1/policy",
            "{\"rules\":[{\"image\":\"existing\"}]}", 400, "exactly one of mac or group"),
        Arguments.of("event without a MAC", HttpMethod.POST, "/api/v1/events", "{\"stage\":\"AGENT_STARTED\"}", 400,
            "MAC"),
        Arguments.of("event without a stage", HttpMethod.POST, "/api/v1/events", "{\"mac\":\"" + MAC + "\"}", 400,
            "stage"),
        Arguments.of("listing events (telemetry's job)", HttpMethod.GET, "/api/v1/events", null, 405,
            "not allowed"),
        Arguments.of("unknown path", HttpMethod.GET, "/api/v1/nothing", null, 404, "no such resource"),
        Arguments.of("wrong method", HttpMethod.PATCH, "/api/v1/images", "{}", 405, "not allowed"),
        Arguments.of("seed of an unknown file", HttpMethod.GET, "/seed/existing/nope", null, 404, "nope"),
        Arguments.of("seed path traversal", HttpMethod.GET, "/seed/existing/..%2f..%2fcatalog%2fimages%2fexisting.pb",
            null, 400, "'..'"),
        Arguments.of("seed of an unknown image", HttpMethod.GET, "/seed/ghost/vmlinuz", null, 404, "ghost"));
  }

  @ParameterizedTest(name = "{0} → {4}")
  @MethodSource("clientErrors")
  void clientMistakesGetTheirStatusAndAReason(String what, HttpMethod method, String path, String body, int status,
      String reason) {
    // GIVEN an image named "existing"
    addOverRest("existing");
    // WHEN the faulty request is made
    HttpRequest<Buffer> request = client.request(method, path).putHeader("Authorization", bearer);
    HttpResponse<Buffer> r;
    if (body == null) {
      r = await(request.send());
    } else {
      String text = body.replace("@IMPORT@", imports.toString());
      boolean binary = what.contains("protobuf");
      request.putHeader("Content-Type", binary ? PROTOBUF
          : what.equals("a form body") ? "application/x-www-form-urlencoded" : "application/json");
      r = await(request.sendBuffer(binary ? Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff})
          : Buffer.buffer(text)));
    }
    // THEN the status and the JSON error say what went wrong
    assertThat(r.statusCode()).as(what + ": " + r.bodyAsString()).isEqualTo(status);
    JsonObject error = r.bodyAsJsonObject();
    assertThat(error.getInteger("status")).isEqualTo(status);
    assertThat(error.getString("error")).contains(reason);
    // AND the catalog still holds exactly the one image
    assertThat(parseJson(await(client.get("/api/v1/images").send()), ImageList.newBuilder()).getImagesList())
        .extracting(ImageManifest::getName).containsExactly("existing");
  }

  @Test
  void anUnexpectedDiskFailureIsA500ThatNamesNoServerPathAndAddsNothing() throws Exception {
    // GIVEN a staging area that has become unusable (a file where the folder should be)
    java.nio.file.Files.delete(dir.resolve("tmp"));
    java.nio.file.Files.writeString(dir.resolve("tmp"), "not a folder");
    // WHEN an image is added
    HttpResponse<Buffer> r = postJson("/api/v1/images", kexec("demo").build());
    // THEN the answer is a 500 (the reason, which names the staging folder, is only logged), and there is no image
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.bodyAsJsonObject().getInteger("status")).isEqualTo(500);
    assertThat(r.bodyAsJsonObject().getString("error")).startsWith("internal error").doesNotContain(dir.toString());
    assertThat(await(client.get("/api/v1/images/demo").send()).statusCode()).isEqualTo(404);
    assertThat(dir.resolve("payload/demo")).doesNotExist();
  }

  // -------------------------------------------------------------------------------- boot policy

  @Test
  void thePolicyCanBePutAndReadBackNormalised() throws Exception {
    // GIVEN an image
    addOverRest("demo");
    // WHEN an operator puts a policy with an upper-case MAC
    BootPolicy requested = BootPolicy.newBuilder().setDefaultImage("demo").setMenuTimeoutSeconds(4)
        .addRules(BootRule.newBuilder().setMac("AA-BB-CC-DD-EE-01").setImage("demo").setSkipMenu(true)
            .setMenuTimeoutSeconds(-1))
        .putGroups("AABBCCDDEE02", "lab")
        .build();
    HttpResponse<Buffer> put = await(client.put("/api/v1/policy").putHeader("Authorization", bearer).putHeader("Content-Type", "application/json")
        .sendBuffer(Buffer.buffer(Json.print(requested))));
    // THEN the stored policy comes back normalised, and GET returns it (JSON and protobuf alike)
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    BootPolicy stored = parseJson(put, BootPolicy.newBuilder()).build();
    assertThat(stored.getRules(0).getMac()).isEqualTo(MAC);
    assertThat(stored.getGroupsMap()).containsEntry("aa:bb:cc:dd:ee:02", "lab");
    assertThat(parseJson(await(client.get("/api/v1/policy").send()), BootPolicy.newBuilder()).build())
        .isEqualTo(stored);
    HttpResponse<Buffer> binary = await(client.get("/api/v1/policy").putHeader("Accept", PROTOBUF).send());
    assertThat(BootPolicy.parseFrom(binary.bodyAsBuffer().getBytes())).isEqualTo(stored);
  }

  @Test
  void theDefaultPolicyUsesTheConfiguredMenuTimeout() {
    HttpResponse<Buffer> r = await(client.get("/api/v1/policy").send());
    assertThat(parseJson(r, BootPolicy.newBuilder()).getMenuTimeoutSeconds())
        .isEqualTo(config.getJsonObject("catalog").getInteger("defaultMenuTimeoutSeconds"));
  }

  @Test
  void machinesAreNumberedInTheOrderTheyAskForEachImage() {
    // GIVEN two images, alpha the policy's default
    addOverRest("alpha");
    addOverRest("beta");
    // WHEN three machines ask for their assignment, one of them twice, and one names beta (configured on it)
    java.util.function.Function<String, BootAssignment> ask = path -> parseJson(await(client.get(path).send()),
        BootAssignment.newBuilder()).build();
    int first = ask.apply("/api/v1/boot/02:00:00:00:00:01").getArrival();
    int second = ask.apply("/api/v1/boot/02:00:00:00:00:02").getArrival();
    int again = ask.apply("/api/v1/boot/02-00-00-00-00-01").getArrival();
    int beta = ask.apply("/api/v1/boot/02:00:00:00:00:03?image=beta").getArrival();
    int third = ask.apply("/api/v1/boot/02:00:00:00:00:04").getArrival();
    // THEN each image's machines get places 1, 2, ... in order, and a machine asking again keeps its place
    assertThat(List.of(first, second, again, beta, third)).containsExactly(1, 2, 1, 1, 3);
  }

  @Test
  void noPlacesWithAutoStripesOff() {
    addOverRest("alpha");
    await(vertx.undeploy(verticle.deploymentID()));
    config.getJsonObject("catalog").put("autoStripes", false);
    verticle = Fixtures.catalog(config);
    await(vertx.deployVerticle(verticle));
    WebClient off = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()));
    BootAssignment a = parseJson(await(off.get("/api/v1/boot/02:00:00:00:00:01").send()),
        BootAssignment.newBuilder()).build();
    assertThat(a.getDefaultImage()).isEqualTo("alpha");
    assertThat(a.getArrival()).isZero();
  }

  @Test
  void aMachineGetsItsAssignmentInProtobufOrJson() throws Exception {
    // GIVEN two images and a policy with a MAC rule for one machine
    addOverRest("alpha");
    addOverRest("beta");
    BootPolicy policy = BootPolicy.newBuilder().setDefaultImage("alpha").setMenuTimeoutSeconds(9)
        .addRules(BootRule.newBuilder().setMac(MAC).setImage("beta").setMenuTimeoutSeconds(3)).build();
    HttpResponse<Buffer> put = await(client.put("/api/v1/policy").putHeader("Authorization", bearer).putHeader("Content-Type", PROTOBUF)
        .sendBuffer(Buffer.buffer(policy.toByteArray())));
    assertThat(put.statusCode()).isEqualTo(200);
    // WHEN that machine's agent asks in protobuf, spelling its MAC with dashes
    HttpResponse<Buffer> agent = await(client.get("/api/v1/boot/AA-BB-CC-DD-EE-01")
        .putHeader("Accept", PROTOBUF).send());
    // THEN it gets its rule's image, with the whole menu and no torrent bytes
    assertThat(agent.statusCode()).isEqualTo(200);
    assertThat(agent.getHeader("Content-Type")).isEqualTo(PROTOBUF);
    BootAssignment a = BootAssignment.parseFrom(agent.bodyAsBuffer().getBytes());
    assertThat(a.getMac()).isEqualTo(MAC);
    assertThat(a.getMatchedRule()).isEqualTo("mac");
    assertThat(a.getDefaultImage()).isEqualTo("beta");
    assertThat(a.getMenuTimeoutSeconds()).isEqualTo(3);
    assertThat(a.getMenuList()).extracting(ImageManifest::getName).containsExactly("alpha", "beta");
    assertThat(a.getMenuList()).allSatisfy(m -> assertThat(m.getTorrent().isEmpty()).isTrue());
    assertThat(a.getMenu(0).getFilesCount()).isEqualTo(2);
    // AND another machine, asking in JSON, gets the policy default
    BootAssignment other = parseJson(await(client.get("/api/v1/boot/aabbccddee02").send()),
        BootAssignment.newBuilder()).build();
    assertThat(other.getMatchedRule()).isEqualTo("default");
    assertThat(other.getDefaultImage()).isEqualTo("alpha");
    assertThat(other.getMenuTimeoutSeconds()).isEqualTo(9);
  }

  // ------------------------------------------------------------------------------------ web seed

  @Test
  void theWebSeedServesWholeFilesAndByteRangesExactly() {
    // GIVEN an image
    addOverRest("demo");
    // WHEN the initrd is fetched whole
    HttpResponse<Buffer> whole = await(client.get("/seed/demo/initrd").send());
    // THEN every byte is there, and ranges are advertised
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.getHeader("Accept-Ranges")).isEqualTo("bytes");
    assertThat(whole.bodyAsBuffer().getBytes()).isEqualTo(initrd);

    // WHEN a piece-sized range is fetched, as libtorrent does
    HttpResponse<Buffer> range = await(client.get("/seed/demo/initrd")
        .putHeader("Range", "bytes=16384-49151").send());
    // THEN exactly those bytes come back as 206
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.getHeader("Content-Range")).isEqualTo("bytes 16384-49151/" + initrd.length);
    assertThat(range.bodyAsBuffer().getBytes()).isEqualTo(Arrays.copyOfRange(initrd, 16384, 49152));

    // AND an open range to the end of the kernel
    HttpResponse<Buffer> tail = await(client.get("/seed/demo/vmlinuz")
        .putHeader("Range", "bytes=" + (kernel.length - 100) + "-").send());
    assertThat(tail.statusCode()).isEqualTo(206);
    assertThat(tail.bodyAsBuffer().getBytes()).isEqualTo(Arrays.copyOfRange(kernel, kernel.length - 100, kernel.length));

    // AND a stale If-Range gets the whole file, a matching one the range
    HttpResponse<Buffer> stale = await(client.get("/seed/demo/vmlinuz").putHeader("Range", "bytes=0-9")
        .putHeader("If-Range", "\"0000\"").send());
    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(stale.bodyAsBuffer().length()).isEqualTo(kernel.length);
    assertThat(whole.getHeader("ETag")).isEqualTo("\"" + sha256(initrd) + "\"");
    HttpResponse<Buffer> fresh = await(client.get("/seed/demo/vmlinuz").putHeader("Range", "bytes=0-9")
        .putHeader("If-Range", "\"" + sha256(kernel) + "\"").send());
    assertThat(fresh.statusCode()).isEqualTo(206);
    assertThat(fresh.bodyAsBuffer().getBytes()).isEqualTo(Arrays.copyOfRange(kernel, 0, 10));

    // AND a range past the end is 416
    HttpResponse<Buffer> past = await(client.get("/seed/demo/vmlinuz")
        .putHeader("Range", "bytes=" + kernel.length + "-").send());
    assertThat(past.statusCode()).isEqualTo(416);
    assertThat(past.getHeader("Content-Range")).isEqualTo("bytes */" + kernel.length);

    // AND the stats count exactly the bytes served per image
    long served = initrd.length + 32768 + 100 + kernel.length + 10;
    JsonObject stats = await(client.get("/api/v1/stats").send()).bodyAsJsonObject();
    assertThat(stats.getJsonObject("webSeedBytes").getLong("demo")).isEqualTo(served);
    assertThat(stats.getInteger("images")).isEqualTo(1);
  }

  @Test
  void aOneFileImageIsAlsoServedAtTheImagesOwnUrlAsBep19HasItForASingleFileTorrent() {
    // GIVEN a one-file image (EXEC: its binary) and a two-file one
    HttpResponse<Buffer> added = postJson("/api/v1/images", AddImageRequest.newBuilder().setName("tool")
        .setKind(ImageKind.EXEC).setBinary(imports.resolve("vmlinuz").toString()).build());
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(201);
    String file = parseJson(added, ImageManifest.newBuilder()).build().getFiles(0).getPath();
    addOverRest("demo");
    // WHEN a libtorrent-based client asks for the web seed URL plus the torrent's name, as libtorrent
    // 2.0.6 does for a torrent of one file in a folder, and a range of it
    HttpResponse<Buffer> whole = await(client.get("/seed/tool").send());
    HttpResponse<Buffer> range = await(client.get("/seed/tool").putHeader("Range", "bytes=100-199").send());
    // THEN it gets that file, as it gets it at /seed/<image>/<file>
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.bodyAsBuffer().getBytes()).isEqualTo(kernel);
    assertThat(await(client.get("/seed/tool/" + file).send()).bodyAsBuffer().getBytes()).isEqualTo(kernel);
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.bodyAsBuffer().getBytes()).isEqualTo(Arrays.copyOfRange(kernel, 100, 200));
    // AND an image of two files has no such URL
    assertThat(await(client.get("/seed/demo").send()).statusCode()).isEqualTo(404);
  }

  @Test
  void anUploadLimitHoldsForAllTheWebSeedsAnswersTogether() {
    // GIVEN a catalog whose HTTP server sends at most 512 KiB/s (catalog.uploadLimit), and an image
    addOverRest("demo");
    await(vertx.undeploy(verticle.deploymentID()));
    long limit = 512 << 10;
    config.getJsonObject("catalog").put("uploadLimit", limit);
    verticle = Fixtures.catalog(config);
    await(vertx.deployVerticle(verticle));
    WebClient limited = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()));
    // WHEN three clients fetch the initrd at once
    long started = System.nanoTime();
    List<HttpResponse<Buffer>> answers = await(Future.all(List.of(limited.get("/seed/demo/initrd").send(),
        limited.get("/seed/demo/initrd").send(), limited.get("/seed/demo/initrd").send()))).list();
    double seconds = (System.nanoTime() - started) / 1e9;
    // THEN each gets every byte, and together they took as long as the limit says (here 2.93 s for
    // 2.93 s; half of it asserted, for netty's accounting interval)
    assertThat(answers).allSatisfy(a -> assertThat(a.bodyAsBuffer().getBytes()).isEqualTo(initrd));
    double atTheLimit = 3.0 * initrd.length / limit;
    assertThat(seconds).as("3 × %d bytes at %d B/s", initrd.length, limit).isGreaterThan(atTheLimit / 2);
  }

  @Test
  void headOnTheWebSeedGivesTheLengthWithoutABody() {
    // GIVEN an image
    addOverRest("demo");
    // WHEN HEAD is asked, whole and ranged
    HttpResponse<Buffer> head = await(client.head("/seed/demo/vmlinuz").send());
    HttpResponse<Buffer> ranged = await(client.head("/seed/demo/vmlinuz").putHeader("Range", "bytes=10-19").send());
    // THEN the lengths are announced, no body is sent and nothing is counted
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.getHeader("Content-Length")).isEqualTo(Long.toString(kernel.length));
    assertThat(head.body()).isNull();
    assertThat(ranged.statusCode()).isEqualTo(206);
    assertThat(ranged.getHeader("Content-Length")).isEqualTo("10");
    assertThat(ranged.getHeader("Content-Range")).isEqualTo("bytes 10-19/" + kernel.length);
    JsonObject stats = await(client.get("/api/v1/stats").send()).bodyAsJsonObject();
    assertThat(stats.getJsonObject("webSeedBytes").getLong("demo")).isNull();
  }

  // -------------------------------------------------------------------------------------- events

  @Test
  void bootEventsArePublishedWithTheirMacCanonicalAndATimestamp() throws Exception {
    // GIVEN a listener on boot.event
    List<BootEvent> published = new java.util.concurrent.CopyOnWriteArrayList<>();
    await(vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> published.add(m.body())).completion());
    // WHEN an agent posts an event in protobuf with an upper-case MAC, and another machine one in JSON
    BootEvent started = BootEvent.newBuilder().setMac("AA:BB:CC:DD:EE:01").setNodeId("n1")
        .setStage(BootStage.AGENT_STARTED).setTimestampMs(1234).build();
    HttpResponse<Buffer> r1 = await(client.post("/api/v1/events").putHeader("Content-Type", PROTOBUF)
        .sendBuffer(Buffer.buffer(started.toByteArray())));
    HttpResponse<Buffer> r2 = postJson("/api/v1/events", BootEvent.newBuilder().setMac("aabb.ccdd.ee02")
        .setStage(BootStage.FAILED).setMessage("no disk").build());
    // THEN each is accepted and republished in order, the MAC canonical, the missing timestamp filled in
    assertThat(Stream.of(r1, r2).map(HttpResponse::statusCode)).containsOnly(202);
    long deadline = System.currentTimeMillis() + 5000;
    while (published.size() < 2 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(published).hasSize(2);
    assertThat(published.get(0)).isEqualTo(started.toBuilder().setMac(MAC).build());
    assertThat(published.get(1).getMac()).isEqualTo("aa:bb:cc:dd:ee:02");
    assertThat(published.get(1).getTimestampMs()).isPositive();
  }
}
