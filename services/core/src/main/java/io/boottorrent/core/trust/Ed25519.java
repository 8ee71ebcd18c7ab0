package io.boottorrent.core.trust;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 keys (RFC 8032) through the JDK's own provider ({@code KeyPairGenerator/Signature
 * "Ed25519"}, in {@code jdk.crypto.ec} on Java 17): generation, the X.509/PKCS#8 encodings, PEM, and
 * fingerprints. No cryptography is implemented here.
 */
public final class Ed25519 {
  public static final String ALGORITHM = "Ed25519";
  /** A fingerprint: SHA-256 of the public key's X.509 SubjectPublicKeyInfo DER, 64 lowercase hex digits. */
  public static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern PEM_PUBLIC =
      Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");

  private Ed25519() {}

  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this Java runtime has no Ed25519 (module jdk.crypto.ec missing?)", e);
    }
  }

  /** @throws TrustException when the bytes are not an Ed25519 public key */
  public static PublicKey publicKey(byte[] x509) throws TrustException {
    try {
      PublicKey key = KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
      if (!ALGORITHM.equals(key.getAlgorithm()) && !"EdDSA".equals(key.getAlgorithm())) {
        throw new TrustException("not an Ed25519 public key: " + key.getAlgorithm());
      }
      return key;
    } catch (InvalidKeySpecException | IllegalArgumentException e) {
      throw new TrustException("not an Ed25519 public key: " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @throws TrustException when the bytes are not an Ed25519 private key */
  public static PrivateKey privateKey(byte[] pkcs8) throws TrustException {
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (InvalidKeySpecException | IllegalArgumentException e) {
      throw new TrustException("not an Ed25519 private key: " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 of the X.509 DER, lowercase hex: what operators pin ({@code boottorrent.keys=}). */
  public static String fingerprint(byte[] x509) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(x509));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String fingerprint(PublicKey key) {
    return fingerprint(key.getEncoded());
  }

  /** {@code -----BEGIN PUBLIC KEY-----} PEM of an X.509 DER public key (what openssl writes). */
  public static String toPem(byte[] x509) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(x509)
        + "\n-----END PUBLIC KEY-----\n";
  }

  /**
   * Every public key of a PEM text (several may follow each other), as X.509 DER.
   *
   * @throws TrustException when there is none, or one is not an Ed25519 key
   */
  public static List<byte[]> fromPem(String pem) throws TrustException {
    List<byte[]> keys = new ArrayList<>();
    Matcher m = PEM_PUBLIC.matcher(pem);
    while (m.find()) {
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(1));
      } catch (IllegalArgumentException e) {
        throw new TrustException("bad base64 in a PEM public key: " + e.getMessage());
      }
      publicKey(der);
      keys.add(der);
    }
    if (keys.isEmpty()) {
      throw new TrustException("no -----BEGIN PUBLIC KEY----- block");
    }
    return keys;
  }

  static byte[] sign(PrivateKey key, byte[] message) {
    try {
      java.security.Signature s = java.security.Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed: " + e.getMessage(), e);
    }
  }

  static boolean verify(PublicKey key, byte[] message, byte[] signature) {
    try {
      java.security.Signature s = java.security.Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (java.security.SignatureException e) {
      return false; // a malformed signature is a wrong one
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 verification failed: " + e.getMessage(), e);
    }
  }
}
