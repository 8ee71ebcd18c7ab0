package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.StateFiles;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootRule;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import io.boottorrent.testsupport.CorruptFiles;
import io.boottorrent.testsupport.CorruptFiles.Corruption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A boot policy or image manifest found corrupt when the store opens: set aside with its bytes intact
 * (a manifest with its payload), the store opens with the rest (docs/SECURITY.md "Corrupt state files").
 */
class ImageStoreCorruptStateTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T07:00:00Z"), ZoneOffset.UTC);
  @TempDir Path dir;
  Path data;
  Path imports;
  ImageManifest demo;
  ImageManifest other;
  BootPolicy policy;

  @BeforeEach
  void twoImagesAndAPolicy() throws IOException {
    data = dir.resolve("data");
    imports = data.resolve("import");
    try (ImageStore store = open()) {
      writeRandom(imports.resolve("vmlinuz"), 40_000, 1);
      demo = store.add(kexec("demo"));
      other = store.add(kexec("other"));
      policy = store.putPolicy(BootPolicy.newBuilder().setDefaultImage("demo").setMenuTimeoutSeconds(7)
          .addRules(BootRule.newBuilder().setGroup("lab").setImage("other")).putGroups("02:00:00:00:00:01", "lab")
          .build());
    }
  }

  ImageStore open() throws IOException {
    return ImageStore.open(new ImageStore.Settings(data, List.of(), List.of("http://127.0.0.1:6969/announce"),
        List::of, 0, 10), TorrentFactory::create, CLOCK);
  }

  AddImageRequest kexec(String name) {
    return AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(imports.resolve("vmlinuz").toString()).setCmdline("console=ttyS0").build();
  }

  Path policyFile() {
    return data.resolve("catalog/policy.pb");
  }

  Path manifestFile(String name) {
    return data.resolve("catalog/images/" + name + ".pb");
  }

  @ParameterizedTest
  @EnumSource(value = Corruption.class, names = {"TRUNCATED", "RANDOM_BYTES", "WRONG_TYPE"})
  void aCorruptPolicyIsSetAsideAndTheDefaultPolicyIsInForce(Corruption corruption) throws Exception {
    // GIVEN policy.pb corrupted (WRONG_TYPE: a manifest's bytes, which name a real image in field 1)
    byte[] bad = corruption.apply(Files.readAllBytes(policyFile()), Files.readAllBytes(manifestFile("demo")));
    Files.write(policyFile(), bad);

    // WHEN the store opens
    try (ImageStore store = open()) {
      // THEN it opens with every image and the default policy, and says what it set aside
      assertThat(store.list()).extracting(ImageManifest::getName).containsExactly("demo", "other");
      assertThat(store.policy()).isEqualTo(BootPolicies.defaultPolicy(10));
      assertThat(store.setAside()).singleElement().satisfies(a -> {
        assertThat(a.service()).isEqualTo("catalog");
        assertThat(a.file()).isEqualTo(policyFile());
        assertThat(a.problem()).contains("the default policy is in force");
      });
      Path aside = CorruptFiles.assertSetAsideIntact(policyFile(), bad);
      assertThat(store.setAside().get(0).movedTo()).isEqualTo(aside);
      assertThat(policyFile()).doesNotExist();
      // AND a new policy can be stored
      assertThat(store.putPolicy(policy)).isEqualTo(policy);
    }
    // AND the next start finds nothing wrong
    try (ImageStore store = open()) {
      assertThat(store.setAside()).isEmpty();
      assertThat(store.policy()).isEqualTo(policy);
    }
  }

  @Test
  void anEmptyPolicyFileIsTheEmptyPolicyNotCorruption() throws Exception {
    // An operator may PUT {}: that policy serialises to zero bytes.
    Files.write(policyFile(), new byte[0]);
    try (ImageStore store = open()) {
      assertThat(store.setAside()).isEmpty();
      assertThat(store.policy()).isEqualTo(BootPolicy.getDefaultInstance());
    }
  }

  @ParameterizedTest
  @EnumSource(Corruption.class)
  void aCorruptManifestIsSetAsideWithItsPayloadAndTheOtherImagesAreServed(Corruption corruption) throws Exception {
    // GIVEN demo.pb corrupted (WRONG_TYPE: the policy's bytes, whose field 1 reads as the name "demo")
    byte[] bad = corruption.apply(Files.readAllBytes(manifestFile("demo")), Files.readAllBytes(policyFile()));
    Files.write(manifestFile("demo"), bad);
    byte[] kernel = Files.readAllBytes(data.resolve("payload/demo/vmlinuz"));
    assertCorruptManifestSetAside(bad, kernel);
  }

  @Test
  void aManifestWhoseNameDisagreesWithItsFileNameIsSetAside() throws Exception {
    // GIVEN demo.pb holding other's manifest (a copy over the wrong name)
    byte[] bad = Files.readAllBytes(manifestFile("other"));
    Files.write(manifestFile("demo"), bad);
    byte[] kernel = Files.readAllBytes(data.resolve("payload/demo/vmlinuz"));
    assertCorruptManifestSetAside(bad, kernel);
  }

  private void assertCorruptManifestSetAside(byte[] bad, byte[] kernel) throws IOException {
    // WHEN the store opens
    try (ImageStore store = open()) {
      // THEN demo is not served, other is, and the policy is the one stored
      assertThat(store.list()).containsExactly(other);
      assertThat(store.policy()).isEqualTo(policy);
      // AND demo.pb and its payload were set aside, whole
      CorruptFiles.assertSetAsideIntact(manifestFile("demo"), bad);
      Path payloadAside = CorruptFiles.asideCopies(data.resolve("payload/demo")).get(0);
      assertThat(Files.readAllBytes(payloadAside.resolve("vmlinuz"))).isEqualTo(kernel);
      assertThat(store.setAside()).extracting(StateFiles.SetAside::file)
          .containsExactly(manifestFile("demo"), data.resolve("payload/demo"));
      assertThat(store.setAside().get(0).problem()).endsWith("image 'demo' is not served");
      // AND the name can be added again
      assertThat(store.add(kexec("demo")).getName()).isEqualTo("demo");
    }
    // AND the next start keeps the set-aside payload (no manifest, but not a crash leftover) and reports nothing new
    try (ImageStore store = open()) {
      assertThat(store.setAside()).isEmpty();
      assertThat(store.list()).extracting(ImageManifest::getName).containsExactly("demo", "other");
      assertThat(CorruptFiles.asideCopies(data.resolve("payload/demo"))).hasSize(1);
      assertThat(CorruptFiles.asideCopies(manifestFile("demo"))).hasSize(1);
    }
  }

  @Test
  void manifestChecksGoBeyondParsing() {
    ImageManifest good = demo;
    assertThat(ImageStore.manifestProblem(good, "demo")).isNull();
    assertThat(ImageStore.manifestProblem(good.toBuilder().setInfoHash("xyz").build(), "demo")).contains("info_hash");
    assertThat(ImageStore.manifestProblem(good.toBuilder().setTotalSize(1).build(), "demo")).contains("total_size");
    assertThat(ImageStore.manifestProblem(good.toBuilder().setKind(ImageKind.IMAGE_KIND_UNSPECIFIED).build(), "demo"))
        .contains("kind");
    assertThat(ImageStore.manifestProblem(good.toBuilder().clearTorrent().build(), "demo")).contains("no torrent");
    assertThat(ImageStore.manifestProblem(good.toBuilder().setFiles(0, good.getFiles(0).toBuilder().setPath("../x"))
        .build(), "demo")).contains("file entry");
    assertThat(ImageStore.manifestProblem(good, "other")).contains("describes image 'demo'");
  }
}
