package io.boottorrent.core.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.BootTicket;
import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.Signed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageTrustTest {
  private static final String MAC = "52:54:00:12:34:56";
  private final KeyPair operator = Ed25519.generate();
  private final KeyPair stranger = Ed25519.generate();
  private final TrustedKeys trusted = TrustedKeys.of(Set.of(Ed25519.fingerprint(operator.getPublic())));

  private static ImageManifest manifest(long version, String cmdline) {
    return ImageManifest.newBuilder().setName("debian").setKind(ImageKind.KEXEC).setVersion(version)
        .addFiles(ImageFile.newBuilder().setRole("kernel").setPath("vmlinuz").setSize(4).setSha256("ab".repeat(32)))
        .setInfoHash("12".repeat(20)).setTotalSize(4).setCmdline(cmdline)
        .setTorrent(ByteString.copyFromUtf8("d4:infod...ee")).build();
  }

  private BootTicket ticket(ImageManifest... signed) throws TrustException {
    Signed t = ImageTrust.ticket(MAC, "nonce-0123456789ab", 1000, List.of(signed), List.of(operator));
    return ImageTrust.checkTicket(Optional.of(t), MAC, "nonce-0123456789ab", trusted);
  }

  @Test
  void aSignedManifestNamedByTheTicketYieldsItsSignedCopyWithoutTorrent() throws TrustException {
    ImageManifest signed = ImageTrust.sign(manifest(7, "console=ttyS0"), List.of(operator));
    ImageManifest checked = ImageTrust.checkManifest(signed, ticket(signed), trusted);
    assertThat(checked.getCmdline()).isEqualTo("console=ttyS0");
    assertThat(checked.getVersion()).isEqualTo(7);
    assertThat(checked.hasSigned()).isFalse();
    assertThat(checked.getTorrent()).isEmpty();
  }

  @Test
  void aPayloadChangedAfterSigningFailsItsSignature() throws TrustException {
    ImageManifest signed = ImageTrust.sign(manifest(7, "console=ttyS0"), List.of(operator));
    BootTicket ticket = ticket(signed);
    byte[] evil = ImageTrust.payload(manifest(7, "console=ttyS0 init=/bin/evil"));
    ImageManifest tampered = signed.toBuilder().setCmdline("console=ttyS0 init=/bin/evil")
        .setSigned(signed.getSigned().toBuilder().setPayload(ByteString.copyFrom(evil))).build();
    assertThatThrownBy(() -> ImageTrust.checkManifest(tampered, ticket, trusted))
        .isInstanceOf(TrustException.class)
        .hasMessageContaining("the manifest of debian does not match its signature by trusted key "
            + Ed25519.fingerprint(operator.getPublic()));
  }

  @Test
  void unsignedFieldsThatDifferFromTheSignedCopyAreNamed() throws TrustException {
    ImageManifest signed = ImageTrust.sign(manifest(7, "console=ttyS0"), List.of(operator));
    ImageManifest tampered = signed.toBuilder().setCmdline("init=/bin/sh").setInfoHash("34".repeat(20)).build();
    assertThatThrownBy(() -> ImageTrust.checkManifest(tampered, ticket(signed), trusted))
        .hasMessage("the manifest of debian differs from its signed copy in info-hash, cmdline: it was changed on the way");
  }

  @Test
  void aManifestSignedByAnotherKeyIsRefusedNamingThatKey() throws TrustException {
    ImageManifest signed = ImageTrust.sign(manifest(7, "x"), List.of(stranger));
    BootTicket ticket = ticket(ImageTrust.sign(manifest(7, "x"), List.of(operator)));
    assertThatThrownBy(() -> ImageTrust.checkManifest(signed, ticket, trusted))
        .hasMessageContaining("is signed only by key(s) this machine does not trust: "
            + Ed25519.fingerprint(stranger.getPublic()));
  }

  @Test
  void duringAnOverlapEitherKeyVerifies() throws TrustException {
    KeyPair next = Ed25519.generate();
    ImageManifest both = ImageTrust.sign(manifest(7, "x"), List.of(next, operator));
    assertThat(ImageTrust.checkManifest(both, ticket(both), trusted).getName()).isEqualTo("debian");
    TrustedKeys onlyNext = TrustedKeys.of(Set.of(Ed25519.fingerprint(next.getPublic())));
    Signed t = ImageTrust.ticket(MAC, "nonce-0123456789ab", 1, List.of(both), List.of(next, operator));
    assertThat(ImageTrust.checkManifest(both, ImageTrust.checkTicket(Optional.of(t), MAC, "nonce-0123456789ab",
        onlyNext), onlyNext).getName()).isEqualTo("debian");
  }

  @Test
  void anUnsignedManifestIsRefusedWhenKeysAreConfigured() throws TrustException {
    ImageManifest signed = ImageTrust.sign(manifest(7, "x"), List.of(operator));
    assertThatThrownBy(() -> ImageTrust.checkManifest(manifest(7, "x"), ticket(signed), trusted))
        .hasMessage("the manifest of debian is not signed, and this machine requires signed images");
  }

  @Test
  void aReplayedOlderManifestIsToldApartFromTheCurrentOne() throws TrustException {
    ImageManifest old = ImageTrust.sign(manifest(7, "old"), List.of(operator));
    ImageManifest current = ImageTrust.sign(manifest(9, "new"), List.of(operator));
    assertThatThrownBy(() -> ImageTrust.checkManifest(old, ticket(current), trusted))
        .hasMessage("the manifest of debian is an older one (version 7; the catalog's current is 9): a replayed manifest");
    assertThatThrownBy(() -> ImageTrust.checkManifest(current, ticket(old), trusted))
        .hasMessage("the manifest of debian (version 9) is not the one the catalog's ticket names (version 7)");
  }

  @Test
  void aManifestOfAnotherImageOrOneTheTicketOmitsIsRefused() throws TrustException {
    ImageManifest other = ImageTrust.sign(manifest(7, "x").toBuilder().setName("evil").build(), List.of(operator));
    ImageManifest relabelled = other.toBuilder().setName("debian").build();
    ImageManifest signed = ImageTrust.sign(manifest(7, "x"), List.of(operator));
    assertThatThrownBy(() -> ImageTrust.checkManifest(relabelled, ticket(signed), trusted))
        .hasMessage("the manifest of debian carries the signed manifest of another image, evil");
    assertThatThrownBy(() -> ImageTrust.checkManifest(other, ticket(signed), trusted))
        .hasMessage("the boot ticket does not list image evil");
  }

  @Test
  void aTicketMustAnswerThisNonceForThisMachineAndBeSignedByATrustedKey() {
    Signed t = ImageTrust.ticket(MAC, "nonce-0123456789ab", 1, List.of(), List.of(operator));
    assertThatThrownBy(() -> ImageTrust.checkTicket(Optional.of(t), MAC, "nonce-ffffffffffff", trusted))
        .hasMessage("the boot ticket answers another request (nonce nonce-0123456789ab, sent nonce-ffffffffffff): "
            + "a replayed answer");
    assertThatThrownBy(() -> ImageTrust.checkTicket(Optional.of(t), "52:54:00:00:00:01", "nonce-0123456789ab", trusted))
        .hasMessage("the boot ticket is for machine " + MAC + ", not 52:54:00:00:00:01");
    Signed foreign = ImageTrust.ticket(MAC, "nonce-0123456789ab", 1, List.of(), List.of(stranger));
    assertThatThrownBy(() -> ImageTrust.checkTicket(Optional.of(foreign), MAC, "nonce-0123456789ab", trusted))
        .hasMessageStartingWith("the boot ticket is signed only by key(s) this machine does not trust");
    assertThatThrownBy(() -> ImageTrust.checkTicket(Optional.empty(), MAC, "n", trusted))
        .hasMessageStartingWith("the catalog sent no signed boot ticket");
  }

  @Test
  void aTicketSignatureIsNoManifestSignature() throws TrustException {
    // The domain string keeps a signature made for one kind of message from verifying another.
    ImageManifest m = manifest(7, "x");
    Signed asTicket = Signing.sign(Signing.Domain.TICKET, ImageTrust.payload(m), List.of(operator));
    ImageManifest forged = m.toBuilder().setSigned(asTicket).build();
    BootTicket ticket = ticket(ImageTrust.sign(m, List.of(operator)));
    assertThatThrownBy(() -> ImageTrust.checkManifest(forged, ticket, trusted))
        .hasMessageContaining("does not match its signature");
  }

  @Test
  void trustedKeysParseFingerprintsAndPemFilesAndNameABadEntry(@TempDir Path dir) throws Exception {
    String fp = Ed25519.fingerprint(operator.getPublic());
    Path pem = dir.resolve("trusted.pem");
    Files.writeString(pem, Ed25519.toPem(stranger.getPublic().getEncoded()) + Ed25519.toPem(operator.getPublic().getEncoded()));
    assertThat(TrustedKeys.parse(" SHA256:" + fp.toUpperCase() + " ").fingerprints()).containsExactly(fp);
    assertThat(TrustedKeys.parse(pem.toString()).fingerprints())
        .containsExactlyInAnyOrder(fp, Ed25519.fingerprint(stranger.getPublic()));
    assertThat(TrustedKeys.parse("").isEmpty()).isTrue();
    assertThatThrownBy(() -> TrustedKeys.parse("abc123"))
        .hasMessage("\"abc123\" is neither a key fingerprint (64 hex digits) nor the path of a PEM file of public keys");
    assertThatThrownBy(() -> TrustedKeys.parse(dir.resolve("missing.pem").toString()))
        .hasMessage("trusted keys " + dir.resolve("missing.pem") + ": not a regular file");
    assertThatThrownBy(() -> TrustedKeys.parse(dir.toString()))
        .hasMessage("trusted keys " + dir + ": not a regular file");
    Files.writeString(dir.resolve("empty.pem"), "nothing");
    assertThatThrownBy(() -> TrustedKeys.parse(dir.resolve("empty.pem").toString()))
        .hasMessageEndingWith("no -----BEGIN PUBLIC KEY----- block");
  }

  @Test
  void theFingerprintIsTheSha256OfTheX509KeyAsOpensslComputesIt() throws Exception {
    // An Ed25519 public key's X.509 DER is a fixed 12-byte prefix + the 32-byte key (RFC 8410).
    byte[] der = operator.getPublic().getEncoded();
    assertThat(der).hasSize(44);
    assertThat(java.util.HexFormat.of().formatHex(der, 0, 12)).isEqualTo("302a300506032b6570032100");
    assertThat(Ed25519.fingerprint(der)).isEqualTo(ImageTrust.sha256(der)).matches(Ed25519.FINGERPRINT);
    assertThat(Ed25519.fromPem(Ed25519.toPem(der))).singleElement().isEqualTo(der);
  }
}
