package io.boottorrent.catalog;

import static io.boottorrent.catalog.Fixtures.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.swarm.TorrentFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's side of boot profiles: its clock, and data dirs from before profiles existed. */
class ImageStoreBootProfileTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

  @TempDir Path data;
  ImageStore store;

  @BeforeEach
  void openStore() throws IOException {
    writeRandom(data.resolve("import/vmlinuz"), 100 * 1024 + 37, 1);
    store = open();
  }

  @AfterEach
  void closeStore() throws IOException {
    store.close();
  }

  ImageStore open() throws IOException {
    return ImageStore.open(new ImageStore.Settings(data, List.of(), List.of("http://127.0.0.1:6969/announce"),
        List::of, 0, 10), TorrentFactory::create, CLOCK);
  }

  ImageManifest add(String name) throws IOException {
    return store.add(AddImageRequest.newBuilder().setName(name).setKind(ImageKind.KEXEC)
        .setKernel(data.resolve("import/vmlinuz").toString()).build());
  }

  static BootProfile profile(ImageManifest m) {
    return BootProfile.newBuilder().setInfoHash(m.getInfoHash()).addPieces(0).addReadAtMs(0)
        .setRecordedBy("AABBCCDDEE01").build();
  }

  @Test
  void aProfileIsStampedWithTheStoresClock() throws IOException {
    ImageManifest demo = add("demo");
    BootProfile stored = store.putBootProfile("demo", profile(demo), 16);
    assertThat(stored.getRecordedAtMs()).isEqualTo(CLOCK.millis());
    assertThat(stored.getRecordedBy()).isEqualTo("aa:bb:cc:dd:ee:01");
    assertThat(store.bootProfile("demo")).contains(stored);
  }

  @Test
  void anImageNamedLikeAProfileFileBeforeThatWasRefusedStaysAnImageAndNoProfileWritesOverIt() throws IOException {
    // GIVEN a data dir from before boot profiles with images "old" and "old.boot-profile" (added as "x",
    // renamed on disk: the name is refused now)
    ImageManifest old = add("old");
    ImageManifest x = add("x");
    store.close();
    Path images = data.resolve("catalog/images");
    ImageManifest legacy = x.toBuilder().setName("old.boot-profile").build();
    Files.write(images.resolve("old.boot-profile.pb"), legacy.toByteArray());
    Files.delete(images.resolve("x.pb"));
    Files.move(data.resolve("payload/x"), data.resolve("payload/old.boot-profile"));
    // WHEN the store opens
    store = open();
    // THEN that file is the image's manifest, not image old's profile
    assertThat(store.get("old.boot-profile")).contains(legacy);
    assertThat(store.bootProfile("old")).isEmpty();
    assertThat(store.setAside()).isEmpty();
    // AND a profile for old is refused rather than written over it, and deleting old leaves it
    CatalogException refused = catchThrowableOfType(() -> store.putBootProfile("old", profile(old), 16),
        CatalogException.class);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused).hasMessageContaining("manifest of image 'old.boot-profile'");
    store.delete("old");
    assertThat(ImageManifest.parseFrom(Files.readAllBytes(images.resolve("old.boot-profile.pb")))).isEqualTo(legacy);
    store.close();
    store = open();
    assertThat(store.get("old.boot-profile")).contains(legacy);
  }
}
