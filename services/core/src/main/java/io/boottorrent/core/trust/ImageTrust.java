package io.boottorrent.core.trust;

import com.google.protobuf.InvalidProtocolBufferException;
import io.boottorrent.proto.BootTicket;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.Signed;
import io.boottorrent.proto.TicketEntry;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Signed image manifests and boot tickets: the catalog's side ({@link #sign}, {@link #ticket}) and the
 * agent's ({@link #checkTicket}, {@link #checkManifest}). Pure: no I/O.
 *
 * <p>A manifest's payload is the manifest without its .torrent bytes (its info-hash covers them) and
 * without the signature. The agent launches only what a payload signed by a trusted key says, and only
 * if the boot ticket — signed over the nonce the agent just sent — names that payload as the current
 * one for the image: an older manifest, validly signed but replayed, is refused.
 */
public final class ImageTrust {
  private ImageTrust() {}

  /** The bytes a manifest's signature covers. */
  public static byte[] payload(ImageManifest manifest) {
    return manifest.toBuilder().clearTorrent().clearSigned().build().toByteArray();
  }

  /** The manifest with {@code signed} set: its payload signed by every key of {@code keys}. */
  public static ImageManifest sign(ImageManifest manifest, List<KeyPair> keys) {
    return manifest.toBuilder().setSigned(Signing.sign(Signing.Domain.MANIFEST, payload(manifest), keys)).build();
  }

  /** The ticket answering {@code nonce}: each image's version and the digest of its signed payload. */
  public static Signed ticket(String mac, String nonce, long nowMs, Collection<ImageManifest> signedImages,
      List<KeyPair> keys) {
    BootTicket.Builder ticket = BootTicket.newBuilder().setMac(mac).setNonce(nonce).setIssuedAtMs(nowMs);
    for (ImageManifest image : signedImages) {
      if (image.hasSigned()) {
        ticket.addImages(TicketEntry.newBuilder()
            .setName(image.getName())
            .setVersion(image.getVersion())
            .setPayloadSha256(sha256(image.getSigned().getPayload().toByteArray())));
      }
    }
    return Signing.sign(Signing.Domain.TICKET, ticket.build().toByteArray(), keys);
  }

  /**
   * The ticket, if a trusted key signed it for this machine and this nonce.
   *
   * @throws TrustException naming what failed
   */
  public static BootTicket checkTicket(Optional<Signed> ticket, String mac, String nonce, TrustedKeys trusted)
      throws TrustException {
    if (ticket.isEmpty()) {
      throw new TrustException("the catalog sent no signed boot ticket (is catalog.signing off, or is this not "
          + "the catalog?)");
    }
    Signing.Verified verified = Signing.verify(Signing.Domain.TICKET, ticket.get(), trusted, "the boot ticket");
    BootTicket parsed;
    try {
      parsed = BootTicket.parseFrom(verified.payload());
    } catch (InvalidProtocolBufferException e) {
      throw new TrustException("the signed boot ticket does not parse: " + e.getMessage());
    }
    if (!parsed.getNonce().equals(nonce)) {
      throw new TrustException("the boot ticket answers another request (nonce " + parsed.getNonce()
          + ", sent " + nonce + "): a replayed answer");
    }
    if (!parsed.getMac().equalsIgnoreCase(mac)) {
      throw new TrustException("the boot ticket is for machine " + parsed.getMac() + ", not " + mac);
    }
    return parsed;
  }

  /**
   * The signed payload of {@code manifest}, if a trusted key signed it, the ticket names it as the
   * image's current manifest, and the unsigned fields the catalog sent beside it say the same.
   *
   * @throws TrustException naming what failed
   */
  public static ImageManifest checkManifest(ImageManifest manifest, BootTicket ticket, TrustedKeys trusted)
      throws TrustException {
    String name = manifest.getName();
    if (!manifest.hasSigned()) {
      throw new TrustException("the manifest of " + name + " is not signed, and this machine requires signed images");
    }
    String what = "the manifest of " + name;
    Signing.Verified verified = Signing.verify(Signing.Domain.MANIFEST, manifest.getSigned(), trusted, what);
    ImageManifest signed;
    try {
      signed = ImageManifest.parseFrom(verified.payload());
    } catch (InvalidProtocolBufferException e) {
      throw new TrustException("the signed payload of " + what + " does not parse: " + e.getMessage());
    }
    if (!signed.getName().equals(name)) {
      throw new TrustException(what + " carries the signed manifest of another image, " + signed.getName());
    }
    TicketEntry current = ticket.getImagesList().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new TrustException("the boot ticket does not list image " + name));
    String digest = sha256(verified.payload());
    if (!digest.equals(current.getPayloadSha256())) {
      throw new TrustException(signed.getVersion() < current.getVersion()
          ? what + " is an older one (version " + signed.getVersion() + "; the catalog's current is "
              + current.getVersion() + "): a replayed manifest"
          : what + " (version " + signed.getVersion() + ") is not the one the catalog's ticket names (version "
              + current.getVersion() + ")");
    }
    List<String> differ = differences(manifest, signed);
    if (!differ.isEmpty()) {
      throw new TrustException(what + " differs from its signed copy in " + String.join(", ", differ)
          + ": it was changed on the way");
    }
    return signed;
  }

  /** The launch-relevant fields in which the manifest sent differs from the signed one. */
  static List<String> differences(ImageManifest sent, ImageManifest signed) {
    List<String> out = new ArrayList<>();
    check(out, "kind", sent.getKind(), signed.getKind());
    check(out, "files", sent.getFilesList(), signed.getFilesList());
    check(out, "info-hash", sent.getInfoHash(), signed.getInfoHash());
    check(out, "size", sent.getTotalSize(), signed.getTotalSize());
    check(out, "cmdline", sent.getCmdline(), signed.getCmdline());
    check(out, "args", sent.getArgsList(), signed.getArgsList());
    check(out, "version", sent.getVersion(), signed.getVersion());
    return out;
  }

  private static void check(List<String> out, String field, Object a, Object b) {
    if (!Objects.equals(a, b)) {
      out.add(field);
    }
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
