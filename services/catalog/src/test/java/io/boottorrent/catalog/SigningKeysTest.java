package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.StateFiles;
import io.boottorrent.core.trust.Ed25519;
import io.boottorrent.core.trust.Signing;
import io.boottorrent.core.trust.TrustedKeys;
import io.boottorrent.proto.KeyEntry;
import io.boottorrent.proto.Signed;
import io.boottorrent.testsupport.CorruptFiles;
import io.boottorrent.testsupport.CorruptFiles.Corruption;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Proc;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SigningKeysTest {
  @TempDir Path dir;
  private Instant now = Instant.parse("2026-12-01T00:00:00Z");
  private final Clock clock = new Clock() {
    @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(java.time.ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }
  };

  @Test
  void theFirstOpenCreatesOneKeyInAFileOnlyTheOwnerCanReadAndTheNextOpenFindsIt() throws Exception {
    Path file = SigningKeys.fileIn(dir);
    SigningKeys created = SigningKeys.open(file, clock);
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    SigningKeys reopened = SigningKeys.open(file, clock);
    assertThat(reopened.active().getFingerprint()).isEqualTo(created.active().getFingerprint());
    assertThat(reopened.signingFingerprints()).containsExactly(created.active().getFingerprint());
    assertThat(reopened.publicView().getKeysList()).allSatisfy(k -> assertThat(k.getPrivateKey()).isEmpty());
    assertThatThrownBy(() -> SigningKeys.create(file, clock)).isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void aRotatedOutKeySignsBesideTheNewOneForTheOverlapThenItsPrivateHalfIsErased() throws Exception {
    Path file = SigningKeys.fileIn(dir);
    SigningKeys keys = SigningKeys.open(file, clock);
    String old = keys.active().getFingerprint();
    KeyEntry fresh = keys.rotate(Duration.ofDays(30));
    assertThat(fresh.getPrivateKey()).isEmpty();
    assertThat(keys.signingFingerprints()).containsExactly(fresh.getFingerprint(), old);

    // both signatures verify for an agent that trusts only the old key
    Signed signed = Signing.sign(Signing.Domain.MANIFEST, new byte[] {1, 2, 3}, keys.signing());
    assertThat(Signing.verify(Signing.Domain.MANIFEST, signed, TrustedKeys.of(Set.of(old)), "m").fingerprint())
        .isEqualTo(old);

    now = now.plus(Duration.ofDays(30));
    assertThat(keys.signingFingerprints()).containsExactly(fresh.getFingerprint());
    SigningKeys reopened = SigningKeys.open(file, clock);
    KeyEntry retired = reopened.publicView().getKeysList().stream()
        .filter(k -> k.getFingerprint().equals(old)).findFirst().orElseThrow();
    assertThat(retired.getRetiredAtMs()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z").toEpochMilli());
    assertThat(io.boottorrent.proto.KeyRing.parseFrom(Files.readAllBytes(file)).getKeysList())
        .filteredOn(k -> k.getFingerprint().equals(old))
        .singleElement().satisfies(k -> assertThat(k.getPrivateKey()).isEmpty());
  }

  @Test
  void aCorruptKeyRingIsNamedAndNeverReplaced() throws Exception {
    Path file = SigningKeys.fileIn(dir);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[] {(byte) 0xff, 1, 2});
    assertThatThrownBy(() -> SigningKeys.open(file, clock)).hasMessageStartingWith(file + ": corrupt key ring");
    assertThat(Files.readAllBytes(file)).containsExactly((byte) 0xff, 1, 2);
  }

  /**
   * Every way keys.pb turns up corrupt: the catalog must not start (a new key would lock out every client
   * image that pins the old one), the file stays where it is, byte for byte, and no key is made.
   */
  @ParameterizedTest
  @EnumSource(Corruption.class)
  void aCorruptKeyRingStopsTheCatalogAndStaysInPlace(Corruption corruption) throws Exception {
    Path file = SigningKeys.fileIn(dir);
    SigningKeys.open(file, clock);
    byte[] tokens = io.boottorrent.proto.TokenStoreFile.newBuilder().addTokens(io.boottorrent.proto.StoredToken
        .newBuilder().setSecretSha256(com.google.protobuf.ByteString.copyFrom(new byte[32]))).build().toByteArray();
    byte[] bad = corruption.apply(Files.readAllBytes(file), tokens);
    Files.write(file, bad);

    for (int start = 0; start < 2; start++) {
      assertThatThrownBy(() -> SigningKeys.open(file, clock))
          .isInstanceOf(StateFiles.CorruptStateException.class)
          .hasMessageStartingWith(file + ": corrupt key ring")
          .hasMessageContaining("restore keys.pb from a backup")
          .satisfies(e -> assertThat(((StateFiles.CorruptStateException) e).file().movedTo()).isEqualTo(file));
      assertThat(Files.readAllBytes(file)).isEqualTo(bad);
      assertThat(CorruptFiles.asideCopies(file)).isEmpty();
    }
  }

  @Test
  void aKeyRingWithTwoActiveKeysIsCorruptToo() throws Exception {
    Path file = SigningKeys.fileIn(dir);
    SigningKeys.open(file, clock);
    io.boottorrent.proto.KeyRing ring = io.boottorrent.proto.KeyRing.parseFrom(Files.readAllBytes(file));
    Files.write(file, ring.toBuilder().addKeys(ring.getKeys(0)).build().toByteArray());
    assertThatThrownBy(() -> SigningKeys.open(file, clock)).isInstanceOf(StateFiles.CorruptStateException.class)
        .hasMessageContaining("2 active keys");
  }

  @Test
  void opensslVerifiesOurSignaturesAndComputesTheSameFingerprint() throws Exception {
    Path openssl = Gate.requireCommand("openssl", "openssl");
    SigningKeys keys = SigningKeys.open(SigningKeys.fileIn(dir), clock);
    byte[] payload = "a manifest".getBytes(StandardCharsets.UTF_8);
    Signed signed = Signing.sign(Signing.Domain.MANIFEST, payload, keys.signing());
    Path pub = dir.resolve("pub.pem");
    Files.writeString(pub, Ed25519.toPem(signed.getSignatures(0).getPublicKey().toByteArray()));
    Path message = dir.resolve("message");
    byte[] domain = "boottorrent/image-manifest/v1\0".getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[domain.length + payload.length];
    System.arraycopy(domain, 0, all, 0, domain.length);
    System.arraycopy(payload, 0, all, domain.length, payload.length);
    Files.write(message, all);
    Path sig = dir.resolve("sig");
    Files.write(sig, signed.getSignatures(0).getSignature().toByteArray());

    String verified = Proc.run(openssl.toString(), "pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(),
        "-rawin", "-in", message.toString(), "-sigfile", sig.toString());
    assertThat(verified).contains("Signature Verified Successfully");
    Files.write(message, List.of("another message"));
    Proc.Result refused = Proc.exec(Proc.TIMEOUT, openssl.toString(), "pkeyutl", "-verify", "-pubin", "-inkey",
        pub.toString(), "-rawin", "-in", message.toString(), "-sigfile", sig.toString());
    assertThat(refused.exit()).isNotZero();

    Path der = dir.resolve("pub.der");
    Proc.run(openssl.toString(), "pkey", "-pubin", "-in", pub.toString(), "-outform", "DER", "-out", der.toString());
    assertThat(io.boottorrent.core.trust.ImageTrust.sha256(Files.readAllBytes(der)))
        .isEqualTo(keys.active().getFingerprint());
  }
}
