package io.boottorrent.server.auth;

import java.util.Optional;

/**
 * The {@code Authorization: Bearer <token>} header (RFC 6750 §2.1), read without Vert.x. A reason
 * never repeats what the header held: it may be a secret.
 */
public final class BearerHeader {
  private static final String SCHEME = "Bearer";

  private BearerHeader() {}

  /** The token of a {@code Bearer} header; empty with the reason in {@code why} when there is none. */
  public record Parsed(Optional<String> token, String why) {}

  public static Parsed parse(String header) {
    if (header == null || header.isBlank()) {
      return new Parsed(Optional.empty(), "no Authorization header");
    }
    String h = header.trim();
    int space = h.indexOf(' ');
    if (space < 0 || !h.substring(0, space).equalsIgnoreCase(SCHEME)) {
      return new Parsed(Optional.empty(), "the Authorization header is not of the form 'Bearer <token>'");
    }
    String token = h.substring(space + 1).trim();
    if (token.isEmpty() || token.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
      return new Parsed(Optional.empty(), "the Authorization header's token is empty or has spaces or unprintable characters");
    }
    return new Parsed(Optional.of(token), "");
  }
}
