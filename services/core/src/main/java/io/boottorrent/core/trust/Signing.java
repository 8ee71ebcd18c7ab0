package io.boottorrent.core.trust;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.Signature;
import io.boottorrent.proto.Signed;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Signs and verifies {@link Signed} messages. What is signed is a domain string, a 0 byte and the
 * payload, so that a signature made for one kind of message (a manifest) is never valid for another
 * (a boot ticket) even if the payload bytes happened to parse as both.
 */
public final class Signing {
  /** What a signed payload is. */
  public enum Domain {
    MANIFEST("boottorrent/image-manifest/v1"),
    TICKET("boottorrent/boot-ticket/v1");

    private final byte[] prefix;

    Domain(String name) {
      byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
      prefix = java.util.Arrays.copyOf(bytes, bytes.length + 1);
    }

    byte[] message(byte[] payload) {
      byte[] out = java.util.Arrays.copyOf(prefix, prefix.length + payload.length);
      System.arraycopy(payload, 0, out, prefix.length, payload.length);
      return out;
    }
  }

  /** A verified payload and the fingerprint of the trusted key whose signature held. */
  public record Verified(byte[] payload, String fingerprint) {}

  private Signing() {}

  /** {@code payload} signed by every key of {@code keys} (one during normal operation, two in a rotation's overlap). */
  public static Signed sign(Domain domain, byte[] payload, List<KeyPair> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no signing key");
    }
    byte[] message = domain.message(payload);
    Signed.Builder signed = Signed.newBuilder().setPayload(ByteString.copyFrom(payload));
    for (KeyPair key : keys) {
      signed.addSignatures(Signature.newBuilder()
          .setPublicKey(ByteString.copyFrom(key.getPublic().getEncoded()))
          .setSignature(ByteString.copyFrom(Ed25519.sign(key.getPrivate(), message))));
    }
    return signed.build();
  }

  /**
   * The payload, if a key {@code trusted} trusts signed it.
   *
   * @param what names the message in errors ("the manifest of debian")
   * @throws TrustException naming why: unsigned, signed only by keys not trusted (with their
   *     fingerprints), or a trusted key's signature that does not match (tampered payload)
   */
  public static Verified verify(Domain domain, Signed signed, TrustedKeys trusted, String what)
      throws TrustException {
    if (signed.getSignaturesCount() == 0) {
      throw new TrustException(what + " is not signed");
    }
    byte[] payload = signed.getPayload().toByteArray();
    byte[] message = domain.message(payload);
    List<String> untrusted = new ArrayList<>();
    for (Signature s : signed.getSignaturesList()) {
      byte[] der = s.getPublicKey().toByteArray();
      String fingerprint = Ed25519.fingerprint(der);
      if (!trusted.trusts(fingerprint)) {
        untrusted.add(fingerprint);
        continue;
      }
      PublicKey key = Ed25519.publicKey(der);
      if (!Ed25519.verify(key, message, s.getSignature().toByteArray())) {
        throw new TrustException(what + " does not match its signature by trusted key " + fingerprint
            + ": it was changed after signing");
      }
      return new Verified(payload, fingerprint);
    }
    throw new TrustException(what + " is signed only by key(s) this machine does not trust: "
        + String.join(", ", untrusted) + " (trusted: " + trusted + ")");
  }
}
