package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.sha256;
import static io.boottorrent.catalog.Fixtures.tree;
import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.boottorrent.core.DirectoryLock;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootRule;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.libtorrent4j.TorrentInfo;

class ImageStoreTest {
  static final String TRACKER = "http://127.0.0.1:6969/announce";
  static final String WEB_SEED = "http://127.0.0.1:8080/seed/";
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

  @TempDir Path dir;
  Path data;
  Path imports;
  Path outside;
  ImageStore store;
  byte[] kernel;
  byte[] initrd;

  @BeforeEach
  void openStore() throws IOException {
    data = dir.resolve("data");
    imports = data.resolve("import");
    outside = dir.resolve("outside");
    store = open(settings(List.of(), 0));
    kernel = writeRandom(imports.resolve("vmlinuz-6.1"), 100 * 1024 + 37, 1);
    initrd = writeRandom(imports.resolve("initrd.img"), 300 * 1024 + 5, 2);
  }

  @AfterEach
  void closeStore() throws IOException {
    store.close();
  }

  ImageStore.Settings settings(List<Path> roots, int pieceLength) {
    return new ImageStore.Settings(data, roots, List.of(TRACKER), () -> List.of(WEB_SEED), pieceLength, 10);
  }

  ImageStore open(ImageStore.Settings settings) throws IOException {
    return ImageStore.open(settings, TorrentFactory::create, CLOCK);
  }

  AddImageRequest.Builder kexec(String name) {
    return AddImageRequest.newBuilder()
        .setName(name)
        .setKind(ImageKind.KEXEC)
        .setKernel(imports.resolve("vmlinuz-6.1").toString())
        .setInitrd(imports.resolve("initrd.img").toString())
        .setCmdline("console=ttyS0 quiet");
  }

  /** Nothing of any image but the ones listed is left on disk: no staging, no payload, no manifest. */
  void assertOnDiskExactly(String... names) {
    assertThat(tree(data.resolve("tmp"))).as("staging area").isEmpty();
    assertThat(tree(data.resolve("payload")).stream().filter(p -> !p.contains("/")).toList())
        .as("payload folders").containsExactlyInAnyOrder(names);
    assertThat(tree(data.resolve("catalog/images"))).as("manifests")
        .containsExactlyInAnyOrder(Stream.of(names).map(n -> n + ".pb").toArray(String[]::new));
  }

  // ------------------------------------------------------------------------------------ adding

  @Test
  void theSameFileImportedTwiceIsStoredOnceAndItsBlobGoesWithTheLastImage() throws Exception {
    store.add(kexec("a").build());
    store.add(kexec("b").build());
    Path ka = data.resolve("payload/a/vmlinuz");
    Path kb = data.resolve("payload/b/vmlinuz");
    // one inode: the payload files and the blob are names of the same bytes
    assertThat(Files.isSameFile(ka, kb)).isTrue();
    assertThat(Files.isSameFile(ka, data.resolve("blobs").resolve(sha256(kernel)))).isTrue();
    assertThat(Files.getAttribute(ka, "unix:nlink")).isEqualTo(3);
    assertThat(store.storedBytes()).isEqualTo(kernel.length + initrd.length);

    store.delete("a");
    assertThat(Files.readAllBytes(kb)).isEqualTo(kernel);
    store.delete("b");
    assertThat(tree(data.resolve("blobs"))).as("blobs nobody links to").isEmpty();
  }

  @Test
  void aQemuImageKeepsItsStreamingSettingInItsManifestAndOtherKindsRefuseOne() throws Exception {
    Path disk = imports.resolve("disk.img");
    writeRandom(disk, 70_000, 5);
    ImageManifest added = store.add(AddImageRequest.newBuilder().setName("vm").setKind(ImageKind.QEMU)
        .setDisk(disk.toString()).setStreaming(io.boottorrent.proto.Streaming.STREAMING_OFF).build());
    assertThat(added.getStreaming()).isEqualTo(io.boottorrent.proto.Streaming.STREAMING_OFF);
    assertThatThrownBy(() -> store.add(kexec("k").setStreaming(io.boottorrent.proto.Streaming.STREAMING_ON).build()))
        .isInstanceOf(CatalogException.class).hasMessage("streaming STREAMING_ON is for qemu images, not kexec");
    assertThatThrownBy(() -> store.add(AddImageRequest.newBuilder().setName("e").setKind(ImageKind.EXEC)
        .setBinary(disk.toString()).setStreaming(io.boottorrent.proto.Streaming.STREAMING_ON).build()))
        .hasMessage("streaming STREAMING_ON is for qemu images, not exec");
  }

  @Test
  void limitsHoldForAnyCallerAndNameTheirConfigKey() throws Exception {
    store.close();
    store = open(new ImageStore.Settings(data, List.of(), List.of(TRACKER), () -> List.of(WEB_SEED), 0, 10,
        new ImageStore.Limits(1, 10, 20, 2, 5, kernel.length + initrd.length + 10)));
    assertThatThrownBy(() -> store.add(kexec("x").setDescription("d".repeat(11)).build()))
        .isInstanceOf(CatalogException.class)
        .hasMessage("description is 11 characters; the limit is 10 (catalog.maxDescriptionLength)");
    assertThatThrownBy(() -> store.add(kexec("x").setCmdline("c".repeat(21)).build()))
        .hasMessage("cmdline is 21 characters; the limit is 20 (catalog.maxCmdlineLength)");
    AddImageRequest.Builder exec = AddImageRequest.newBuilder().setName("x").setKind(ImageKind.EXEC)
        .setBinary(imports.resolve("vmlinuz-6.1").toString());
    assertThatThrownBy(() -> store.add(exec.clone().addArgs("a").addArgs("b").addArgs("c").build()))
        .hasMessage("3 args; the limit is 2 (catalog.maxArgs)");
    assertThatThrownBy(() -> store.add(exec.clone().addArgs("123456").build()))
        .hasMessage("args[0] is 6 characters; the limit is 5 (catalog.maxArgLength)");
    assertOnDiskExactly();

    store.add(kexec("first").build());
    assertThatThrownBy(() -> store.add(kexec("second").build()))
        .isInstanceOf(CatalogException.class)
        .hasMessage("the catalog holds 1 image(s) (and 0 being added); its limit is 1 (catalog.maxImages)");
    assertOnDiskExactly("first");
  }

  @Test
  void anAddPastTheDiskQuotaIsRefusedButTheSameContentAgainCostsNothing() throws Exception {
    store.close();
    long quota = kernel.length + initrd.length + 100;
    store = open(new ImageStore.Settings(data, List.of(), List.of(TRACKER), () -> List.of(WEB_SEED), 0, 10,
        new ImageStore.Limits(10, 100, 100, 10, 100, quota)));
    store.add(kexec("a").build());
    // the same files again: nothing new to store, within the quota
    store.add(kexec("b").build());
    byte[] other = writeRandom(imports.resolve("other"), 1000, 9);
    assertThatThrownBy(() -> store.add(kexec("c").setInitrd(imports.resolve("other").toString()).build()))
        .isInstanceOf(CatalogException.class)
        .satisfies(e -> assertThat(((CatalogException) e).status()).isEqualTo(413))
        .hasMessage("adding " + other.length + " new bytes would store " + (kernel.length + initrd.length + other.length)
            + " bytes; the quota is " + quota + " (catalog.diskQuotaBytes)");
    assertOnDiskExactly("a", "b");
  }

  @Test
  void addingAKexecImageCopiesHashesAndBuildsItsTorrent() throws Exception {
    // GIVEN a kernel and an initrd in the import folder
    // WHEN the image is added
    ImageManifest m = store.add(kexec("demo").setDescription("test image").build());

    // THEN the manifest lists both files under their torrent names with the right SHA-256
    assertThat(m.getName()).isEqualTo("demo");
    assertThat(m.getKind()).isEqualTo(ImageKind.KEXEC);
    assertThat(m.getFilesList()).containsExactly(
        ImageFile.newBuilder().setRole("kernel").setPath("vmlinuz").setSize(kernel.length)
            .setSha256(sha256(kernel)).build(),
        ImageFile.newBuilder().setRole("initrd").setPath("initrd").setSize(initrd.length)
            .setSha256(sha256(initrd)).build());
    assertThat(m.getTotalSize()).isEqualTo(kernel.length + initrd.length);
    assertThat(m.getCmdline()).isEqualTo("console=ttyS0 quiet");
    assertThat(m.getDescription()).isEqualTo("test image");
    assertThat(m.getCreatedAtMs()).isEqualTo(CLOCK.millis());
    assertThat(m.getTrackersList()).containsExactly(TRACKER);
    assertThat(m.getWebSeedsList()).containsExactly(WEB_SEED);
    // AND the payload holds exact copies
    assertThat(Files.readAllBytes(data.resolve("payload/demo/vmlinuz"))).isEqualTo(kernel);
    assertThat(Files.readAllBytes(data.resolve("payload/demo/initrd"))).isEqualTo(initrd);
    // AND the torrent is a multi-file torrent rooted at the image name, with tracker and web seed
    assertThat(m.getInfoHash()).hasSize(40).isEqualTo(TorrentFactory.infoHash(m.getTorrent().toByteArray()));
    TorrentInfo info = TorrentInfo.bdecode(m.getTorrent().toByteArray());
    assertThat(info.name()).isEqualTo("demo");
    assertThat(info.numFiles()).isEqualTo(2);
    assertThat(List.of(info.files().filePath(0), info.files().filePath(1)))
        .containsExactlyInAnyOrder("demo/vmlinuz", "demo/initrd");
    assertThat(info.webSeeds()).extracting(w -> w.url()).containsExactly(WEB_SEED);
    assertThat(info.trackers()).extracting(t -> t.url()).containsExactly(TRACKER);
    assertThat(m.getPieceLength()).isEqualTo(info.pieceLength())
        .isEqualTo(TorrentFactory.pieceLengthFor(m.getTotalSize()));
    // AND the manifest on disk (with the torrent) is what the store lists
    assertThat(ImageManifest.parseFrom(Files.readAllBytes(data.resolve("catalog/images/demo.pb")))).isEqualTo(m);
    assertThat(store.list()).containsExactly(m);
    assertThat(store.get("demo")).contains(m);
    assertOnDiskExactly("demo");
  }

  @Test
  void aKexecImageNeedsNoInitrd() throws Exception {
    // GIVEN a request with a kernel only
    // WHEN it is added
    ImageManifest m = store.add(kexec("kernel-only").clearInitrd().build());
    // THEN the image has the kernel alone
    assertThat(m.getFilesList()).extracting(ImageFile::getPath).containsExactly("vmlinuz");
    assertThat(m.getTotalSize()).isEqualTo(kernel.length);
  }

  @Test
  void aQemuImageKeepsItsDiskFileNameAndArguments() throws Exception {
    // GIVEN a disk image
    byte[] disk = writeRandom(imports.resolve("debian-12.qcow2"), 70_000, 3);
    // WHEN a qemu image is added from it
    ImageManifest m = store.add(AddImageRequest.newBuilder().setName("debian").setKind(ImageKind.QEMU)
        .setDisk(imports.resolve("debian-12.qcow2").toString()).addArgs("-m").addArgs("512").build());
    // THEN the disk keeps its name inside the torrent, and the arguments are recorded
    assertThat(m.getFilesList()).containsExactly(ImageFile.newBuilder().setRole("disk")
        .setPath("debian-12.qcow2").setSize(disk.length).setSha256(sha256(disk)).build());
    assertThat(m.getArgsList()).containsExactly("-m", "512");
    assertThat(Files.readAllBytes(data.resolve("payload/debian/debian-12.qcow2"))).isEqualTo(disk);
  }

  @Test
  void aDiskWithAnUnportableFileNameIsStoredAsDiskImg() throws Exception {
    // GIVEN a disk whose name has a blank in it
    byte[] disk = writeRandom(imports.resolve("my disk.raw"), 20_000, 4);
    // WHEN it is added
    ImageManifest m = store.add(AddImageRequest.newBuilder().setName("odd").setKind(ImageKind.QEMU)
        .setDisk(imports.resolve("my disk.raw").toString()).build());
    // THEN it is called disk.img inside the torrent
    assertThat(m.getFiles(0).getPath()).isEqualTo("disk.img");
    assertThat(m.getFiles(0).getSha256()).isEqualTo(sha256(disk));
  }

  @Test
  void anExecImageKeepsItsBinaryFileName() throws Exception {
    // GIVEN a program
    byte[] binary = writeRandom(imports.resolve("tools/hello.sh"), 5_000, 5);
    // WHEN an exec image is added
    ImageManifest m = store.add(AddImageRequest.newBuilder().setName("hello").setKind(ImageKind.EXEC)
        .setBinary(imports.resolve("tools/hello.sh").toString()).addArgs("--verbose").build());
    // THEN the binary keeps its name
    assertThat(m.getFilesList()).containsExactly(ImageFile.newBuilder().setRole("binary")
        .setPath("hello.sh").setSize(binary.length).setSha256(sha256(binary)).build());
    assertThat(m.getArgsList()).containsExactly("--verbose");
  }

  @Test
  void thePieceLengthComesFromTheRequestElseFromTheConfig() throws Exception {
    // GIVEN a store configured with 64 KiB pieces
    store.close();
    store = open(settings(List.of(), 64 * 1024));
    // WHEN one image asks for 32 KiB and another asks for nothing
    ImageManifest asked = store.add(kexec("asked").setPieceLength(32 * 1024).build());
    ImageManifest configured = store.add(kexec("configured").build());
    // THEN each torrent has the piece length it should
    assertThat(asked.getPieceLength()).isEqualTo(32 * 1024);
    assertThat(TorrentInfo.bdecode(asked.getTorrent().toByteArray()).pieceLength()).isEqualTo(32 * 1024);
    assertThat(configured.getPieceLength()).isEqualTo(64 * 1024);
  }

  @Test
  void configuredImportRootsReplaceTheDefaultImportFolder() throws Exception {
    // GIVEN a store whose only import root is another folder
    store.close();
    Path root = dir.resolve("isos");
    writeRandom(root.resolve("k"), 1000, 6);
    store = open(settings(List.of(root), 0));
    // WHEN images are added from that root and from the default import folder
    ImageManifest ok = store.add(kexec("fromroot").setKernel(root.resolve("k").toString()).clearInitrd().build());
    Throwable refused = catchThrowable(() -> store.add(kexec("fromdefault").build()));
    // THEN only the configured root is accepted
    assertThat(ok.getFiles(0).getSize()).isEqualTo(1000);
    assertThat(refused).isInstanceOf(CatalogException.class);
    assertThat(((CatalogException) refused).status()).isEqualTo(403);
  }

  // -------------------------------------------------------------------------------- persistence

  @Test
  void imagesAndPolicySurviveARestart() throws Exception {
    // GIVEN a stored image and policy
    ImageManifest m = store.add(kexec("demo").build());
    BootPolicy policy = store.putPolicy(BootPolicy.newBuilder().setDefaultImage("demo").setMenuTimeoutSeconds(3)
        .addRules(BootRule.newBuilder().setMac("AA-BB-CC-DD-EE-FF").setImage("demo").setMenuTimeoutSeconds(-1))
        .build());
    // WHEN a new store opens the same data dir
    store.close();
    store = open(settings(List.of(), 0));
    // THEN it lists the same image, torrent bytes included, and the same (normalised) policy
    assertThat(store.list()).containsExactly(m);
    assertThat(store.get("demo").orElseThrow().getTorrent()).isEqualTo(m.getTorrent());
    assertThat(store.policy()).isEqualTo(policy);
    assertThat(store.policy().getRules(0).getMac()).isEqualTo("aa:bb:cc:dd:ee:ff");
    assertThat(Files.readAllBytes(data.resolve("payload/demo/vmlinuz"))).isEqualTo(kernel);
  }

  @Test
  void withoutAStoredPolicyTheDefaultUsesTheConfiguredMenuTimeout() {
    // GIVEN a fresh store (settings: 10 s)
    // THEN its policy boots the first image after the configured timeout
    assertThat(store.policy()).isEqualTo(BootPolicy.newBuilder().setMenuTimeoutSeconds(10).build());
  }

  @Test
  void halfWrittenImagesAreInvisibleAndCleanedAtStartUp() throws Exception {
    // GIVEN one complete image
    ImageManifest complete = store.add(kexec("complete").build());
    store.close();
    // AND what crashes leave behind: a staging folder, a payload moved without its manifest
    // (crash before the manifest rename, or during a delete), and a manifest staging file
    writeRandom(data.resolve("tmp/3f2a/staged/vmlinuz"), 100, 7);
    writeRandom(data.resolve("tmp/complete.pb123.tmp"), 10, 8);
    writeRandom(data.resolve("payload/orphan/vmlinuz"), 100, 9);
    writeRandom(data.resolve("payload/stray-file"), 10, 10);
    // WHEN the store opens
    store = open(settings(List.of(), 0));
    // THEN only the complete image exists, and the leftovers are gone
    assertThat(store.list()).containsExactly(complete);
    assertThat(store.get("orphan")).isEmpty();
    assertOnDiskExactly("complete");
    assertThat(Files.readAllBytes(data.resolve("payload/complete/initrd"))).isEqualTo(initrd);
    // AND the orphan's name is free again
    assertThat(store.add(kexec("orphan").build()).getName()).isEqualTo("orphan");
  }

  @Test
  void unreadableOrMisnamedManifestsAreNotListed() throws Exception {
    // GIVEN a manifest file with garbage, and one whose content names another image
    store.add(kexec("real").build());
    store.close();
    Files.write(data.resolve("catalog/images/garbage.pb"), new byte[] {(byte) 0xff, 0x01, 0x02});
    Files.write(data.resolve("catalog/images/alias.pb"), Files.readAllBytes(data.resolve("catalog/images/real.pb")));
    // WHEN the store opens
    store = open(settings(List.of(), 0));
    // THEN only the real image is listed
    assertThat(store.list()).extracting(ImageManifest::getName).containsExactly("real");
  }

  @Test
  void aSecondStoreCannotOpenADataDirInUse() {
    // GIVEN an open store (from @BeforeEach)
    // WHEN another store opens the same data dir
    // THEN it is refused
    assertThatThrownBy(() -> open(settings(List.of(), 0)))
        .isInstanceOf(DirectoryLock.InUseException.class)
        .hasMessageContaining("in use");
  }

  // -------------------------------------------------------------------------------------- delete

  @Test
  void deletingAnImageRemovesManifestAndPayload() throws Exception {
    // GIVEN two images
    store.add(kexec("keep").build());
    ImageManifest gone = store.add(kexec("gone").build());
    // WHEN one is deleted
    ImageManifest removed = store.delete("gone");
    // THEN it is gone from the list and from disk, and the other stays
    assertThat(removed).isEqualTo(gone);
    assertThat(store.list()).extracting(ImageManifest::getName).containsExactly("keep");
    assertThat(store.get("gone")).isEmpty();
    assertThat(store.payloadFile("gone", "vmlinuz")).isEmpty();
    assertOnDiskExactly("keep");
    // AND deleting it again is a 404
    assertThatThrownBy(() -> store.delete("gone"))
        .isInstanceOfSatisfying(CatalogException.class, e -> assertThat(e.status()).isEqualTo(404));
    // AND the name can be used again
    assertThat(store.add(kexec("gone").build()).getName()).isEqualTo("gone");
  }

  @Test
  void payloadFileResolvesOnlyFilesTheManifestLists() throws Exception {
    // GIVEN an image
    store.add(kexec("demo").build());
    // THEN listed files resolve into the payload folder, anything else does not
    assertThat(store.payloadFile("demo", "vmlinuz")).contains(data.resolve("payload/demo/vmlinuz"));
    assertThat(store.payloadFile("demo", "../demo.pb")).isEmpty();
    assertThat(store.payloadFile("demo", "missing")).isEmpty();
    assertThat(store.payloadFile("nope", "vmlinuz")).isEmpty();
  }

  // -------------------------------------------------------------------------------------- errors

  static Stream<Arguments> invalidRequests() {
    return Stream.of(
        Arguments.of("no name", (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("").build(), 400,
            "name is required"),
        Arguments.of("upper case name", (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("Demo").build(),
            400, "invalid image name"),
        Arguments.of("name with a slash", (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("a/b").build(),
            400, "invalid image name"),
        Arguments.of("name starting with a dot",
            (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("..").build(), 400, "invalid image name"),
        Arguments.of("name of 64 characters",
            (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("a".repeat(64)).build(), 400,
            "invalid image name"),
        Arguments.of("no kind", (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("x")
            .setKind(ImageKind.IMAGE_KIND_UNSPECIFIED).build(), 422, "kind"),
        Arguments.of("unknown kind number", (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("x")
            .setKindValue(42).build(), 422, "kind"),
        Arguments.of("kexec without kernel",
            (Function<ImageStoreTest, AddImageRequest>) t -> t.kexec("x").clearKernel().build(), 400,
            "kernel is required"),
        Arguments.of("qemu without disk", (Function<ImageStoreTest, AddImageRequest>) t ->
            AddImageRequest.newBuilder().setName("x").setKind(ImageKind.QEMU).build(), 400, "disk is required"),
        Arguments.of("exec without binary", (Function<ImageStoreTest, AddImageRequest>) t ->
            AddImageRequest.newBuilder().setName("x").setKind(ImageKind.EXEC).build(), 400, "binary is required"),
        Arguments.of("kexec with a disk", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setDisk(t.imports.resolve("initrd.img").toString()).build(), 400, "disk is not used"),
        Arguments.of("relative path", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel("vmlinuz-6.1").build(), 400, "absolute path"),
        Arguments.of("piece length not a power of two", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setPieceLength(100_000).build(), 400, "piece_length"),
        Arguments.of("piece length too small", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setPieceLength(8192).build(), 400, "piece_length"),
        Arguments.of("missing kernel file", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel(t.imports.resolve("nope").toString()).build(), 422, "no such file"),
        Arguments.of("missing initrd file", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setInitrd(t.imports.resolve("nope/initrd").toString()).build(), 422, "no such file"),
        Arguments.of("a folder as kernel", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel(t.imports.toString() + "/sub").build(), 422, "not a regular file"),
        Arguments.of("an empty kernel", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel(t.imports.resolve("empty").toString()).build(), 422, "is empty"),
        Arguments.of("a file outside the import root", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel(t.outside.resolve("secret").toString()).build(), 403, "import root"),
        Arguments.of("a missing file outside the import root", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel(t.outside.resolve("nothing").toString()).build(), 403, "import root"),
        Arguments.of("path traversal with ../", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel(t.imports + "/../../outside/secret").build(), 400, "'..'"),
        Arguments.of("a symlink pointing outside", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setInitrd(t.imports.resolve("link-to-secret").toString()).build(), 403, "import root"),
        Arguments.of("a symlinked folder pointing outside", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setInitrd(t.imports.resolve("outside-dir/secret").toString()).build(), 403,
            "import root"),
        Arguments.of("the import root itself", (Function<ImageStoreTest, AddImageRequest>) t ->
            t.kexec("x").setKernel(t.imports.toString()).build(), 422, "not a regular file"),
        Arguments.of("a NUL in a disk's path (was a 500)", (Function<ImageStoreTest, AddImageRequest>) t ->
            AddImageRequest.newBuilder().setName("x").setKind(io.boottorrent.proto.ImageKind.QEMU)
                .setDisk(t.imports + "/a\0b.img").build(), 400, "NUL"));
  }

  @ParameterizedTest(name = "{0} → {2}")
  @MethodSource("invalidRequests")
  void anInvalidRequestIsRefusedWithItsStatusAndLeavesNothingBehind(
      String what, Function<ImageStoreTest, AddImageRequest> request, int status, String reason) throws Exception {
    // GIVEN an existing image, a secret outside the import root, links to it, a folder and an empty file
    store.add(kexec("existing").build());
    writeRandom(outside.resolve("secret"), 100, 11);
    Files.createSymbolicLink(imports.resolve("link-to-secret"), outside.resolve("secret"));
    Files.createSymbolicLink(imports.resolve("outside-dir"), outside);
    Files.createDirectories(imports.resolve("sub"));
    Files.createFile(imports.resolve("empty"));
    // WHEN the invalid request is made
    Throwable thrown = catchThrowable(() -> store.add(request.apply(this)));
    // THEN it fails with the expected status and reason
    assertThat(thrown).isInstanceOf(CatalogException.class).hasMessageContaining(reason);
    assertThat(((CatalogException) thrown).status()).as(what).isEqualTo(status);
    // AND nothing was created
    assertThat(store.list()).extracting(ImageManifest::getName).containsExactly("existing");
    assertOnDiskExactly("existing");
  }

  @Test
  void aDuplicateNameIsAConflict() throws Exception {
    // GIVEN an image "demo"
    ImageManifest first = store.add(kexec("demo").build());
    // WHEN another image is added under the same name
    Throwable thrown = catchThrowable(() -> store.add(kexec("demo").clearInitrd().build()));
    // THEN it is refused with 409 and the first one is untouched
    assertThat(thrown).isInstanceOfSatisfying(CatalogException.class, e -> assertThat(e.status()).isEqualTo(409));
    assertThat(store.list()).containsExactly(first);
    assertThat(Files.readAllBytes(data.resolve("payload/demo/initrd"))).isEqualTo(initrd);
  }

  @Test
  void concurrentAddsOfOneNameLetExactlyOneSucceed() throws Exception {
    // GIVEN a larger kernel so that adds overlap
    writeRandom(imports.resolve("big"), 4 * 1024 * 1024, 12);
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      // WHEN four threads add "race" at the same moment
      List<Future<ImageManifest>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          go.await();
          return store.add(kexec("race").setKernel(imports.resolve("big").toString()).build());
        }));
      }
      go.countDown();
      int ok = 0;
      int conflicts = 0;
      for (Future<ImageManifest> f : results) {
        try {
          f.get(60, TimeUnit.SECONDS);
          ok++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(CatalogException.class);
          assertThat(((CatalogException) e.getCause()).status()).isEqualTo(409);
          conflicts++;
        }
      }
      // THEN one succeeded, the others got 409, and one image is stored
      assertThat(ok).isEqualTo(1);
      assertThat(conflicts).isEqualTo(threads - 1);
      assertThat(store.list()).hasSize(1);
      assertOnDiskExactly("race");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aLongImportDelaysNeitherDeletesNorPolicyWritesNorOtherNames() throws Exception {
    // GIVEN an existing image, and a torrent builder that stalls until released
    store.add(kexec("old").build());
    store.close();
    CountDownLatch building = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    store = ImageStore.open(settings(List.of(), 0), (root, trackers, seeds, piece) -> {
      if (root.getFileName().toString().equals("slow")) {
        building.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      return TorrentFactory.create(root, trackers, seeds, piece);
    }, CLOCK);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      // WHEN an import of "slow" is stuck building its torrent
      Future<ImageManifest> slow = pool.submit(() -> store.add(kexec("slow").build()));
      assertThat(building.await(30, TimeUnit.SECONDS)).isTrue();
      // THEN meanwhile another image can be added and one deleted, a policy written,
      // and a second add of "slow" is refused at once
      assertThat(store.add(kexec("fast").build()).getName()).isEqualTo("fast");
      store.delete("old");
      store.putPolicy(BootPolicy.newBuilder().setDefaultImage("fast").build());
      assertThatThrownBy(() -> store.add(kexec("slow").build()))
          .isInstanceOfSatisfying(CatalogException.class, e -> assertThat(e.status()).isEqualTo(409))
          .hasMessageContaining("being added");
      assertThat(store.get("slow")).isEmpty();
      // AND once released the import completes
      release.countDown();
      assertThat(slow.get(30, TimeUnit.SECONDS).getName()).isEqualTo("slow");
      assertThat(store.list()).extracting(ImageManifest::getName).containsExactly("fast", "slow");
      assertOnDiskExactly("fast", "slow");
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aFailingTorrentBuildLeavesNothingBehind() throws Exception {
    // GIVEN a store whose torrent builder fails
    store.close();
    store = ImageStore.open(settings(List.of(), 0), (root, trackers, seeds, piece) -> {
      assertThat(root.resolve("vmlinuz")).exists(); // the files were staged before
      throw new IOException("disk full");
    }, CLOCK);
    // WHEN an image is added
    // THEN the I/O error propagates and nothing is left
    assertThatThrownBy(() -> store.add(kexec("doomed").build())).isInstanceOf(IOException.class)
        .hasMessage("disk full");
    assertThat(store.list()).isEmpty();
    assertOnDiskExactly();
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing", "../import", ""})
  void deletingAnUnknownImageIs404(String name) {
    assertThatThrownBy(() -> store.delete(name))
        .isInstanceOfSatisfying(CatalogException.class, e -> assertThat(e.status()).isEqualTo(404));
  }

  // -------------------------------------------------------------------------------------- policy

  @Test
  void aPolicyNamingAnUnknownImageIsRefusedAndTheOldOneKept() throws Exception {
    // GIVEN an image and a stored policy
    store.add(kexec("demo").build());
    BootPolicy stored = store.putPolicy(BootPolicy.newBuilder().setDefaultImage("demo").setMenuTimeoutSeconds(5).build());
    // WHEN a policy with a menu naming a missing image is put
    Throwable thrown = catchThrowable(() -> store.putPolicy(BootPolicy.newBuilder()
        .addRules(BootRule.newBuilder().setGroup("lab").addMenu("demo").addMenu("ghost")).build()));
    // THEN it is refused with 422 and the stored one stays, in memory and on disk
    assertThat(thrown).isInstanceOfSatisfying(CatalogException.class, e -> {
      assertThat(e.status()).isEqualTo(422);
      assertThat(e.getMessage()).contains("ghost");
    });
    assertThat(store.policy()).isEqualTo(stored);
    assertThat(BootPolicy.parseFrom(Files.readAllBytes(data.resolve("catalog/policy.pb")))).isEqualTo(stored);
  }
}
