package io.boottorrent.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootRule;
import io.boottorrent.proto.ImageManifest;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFilesTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T07:08:09Z"), ZoneOffset.UTC);
  @TempDir Path dir;

  @Test
  void aCorruptFileIsRenamedBesideItselfWithItsBytesIntactAndNeverOverAnEarlierOne() throws Exception {
    // GIVEN a corrupt file, set aside once already at the same second
    Path file = dir.resolve("policy.pb");
    Files.write(file, new byte[] {1, 2, 3});
    StateFiles.SetAside first = StateFiles.setAside("catalog", file, "garbage", CLOCK);
    Files.write(file, new byte[] {4, 5});

    // WHEN the second one is set aside
    StateFiles.SetAside second = StateFiles.setAside("catalog", file, "garbage again", CLOCK);

    // THEN both are kept under their own names, the file itself is gone
    assertThat(first.movedTo().getFileName()).hasToString("policy.pb.corrupt-20261202T070809Z");
    assertThat(second.movedTo().getFileName()).hasToString("policy.pb.corrupt-20261202T070809Z-2");
    assertThat(Files.readAllBytes(first.movedTo())).containsExactly(1, 2, 3);
    assertThat(Files.readAllBytes(second.movedTo())).containsExactly(4, 5);
    assertThat(file).doesNotExist();
    assertThat(second.describe()).isEqualTo(file + ": garbage again; set aside as " + second.movedTo());
    assertThat(StateFiles.isAside(second.movedTo())).isTrue();
    assertThat(StateFiles.isAside(file)).isFalse();
  }

  @Test
  void aJournalIsCopiedAsideWholeAndStaysInPlace() throws Exception {
    Path file = dir.resolve("leases");
    Files.writeString(file, "a\nb\n");
    StateFiles.SetAside aside = StateFiles.copyAside("dhcp", file, "line 2", "keeping 1 record", CLOCK);
    assertThat(Files.readString(aside.movedTo())).isEqualTo("a\nb\n");
    assertThat(Files.readString(file)).isEqualTo("a\nb\n");
  }

  @Test
  void aValidMessageOfAnotherTypeIsToldApartByItsUnknownFields() throws Exception {
    // GIVEN a manifest's bytes, read as a boot policy (they parse: protobuf keeps the fields it does not know)
    byte[] manifest = ImageManifest.newBuilder().setName("x").setTotalSize(5).setCreatedAtMs(7).build().toByteArray();
    BootPolicy read = BootPolicy.parseFrom(manifest);
    // THEN it is not taken for a policy; a real one, nested messages and maps included, is
    assertThat(StateFiles.unknownFields(read)).hasValueSatisfying(s -> assertThat(s).startsWith("not a BootPolicy"));
    BootPolicy real = BootPolicy.newBuilder().setDefaultImage("a").addRules(BootRule.newBuilder().setMac("02:00:00:00:00:01"))
        .putGroups("02:00:00:00:00:02", "lab").build();
    assertThat(StateFiles.unknownFields(BootPolicy.parseFrom(real.toByteArray()))).isEmpty();
    // AND unknown fields deep inside are found too
    byte[] manifestWithAlienFile = ImageManifest.newBuilder().setName("x").build().toByteArray();
    byte[] alien = concat(manifestWithAlienFile, new byte[] {0x1a, 0x03, (byte) 0xf8, 0x01, 0x05}); // files[0] with a field 31
    assertThat(StateFiles.unknownFields(ImageManifest.parseFrom(alien)))
        .hasValueSatisfying(s -> assertThat(s).contains("ImageManifest.files"));
  }

  @Test
  void reportsAreKeptPerVertxInstance() {
    Vertx one = Vertx.vertx();
    Vertx two = Vertx.vertx();
    try {
      StateFiles.SetAside aside = new StateFiles.SetAside("dhcp", dir.resolve("a"), dir.resolve("b"), "bad");
      StateFiles.report(one, List.of(aside));
      assertThat(StateFiles.reports(one).files()).containsExactly(aside);
      assertThat(StateFiles.reports(two).files()).isEmpty();
    } finally {
      one.close().await();
      two.close().await();
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
