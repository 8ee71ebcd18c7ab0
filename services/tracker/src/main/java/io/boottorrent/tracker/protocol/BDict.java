package io.boottorrent.tracker.protocol;

import java.util.Collections;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A bencoded dictionary ({@code d...e}). Keys are byte strings kept in unsigned byte order, the order
 * BEP 3 requires on the wire, so encoding is canonical whatever order the entries were added in.
 */
public record BDict(SortedMap<BBytes, BValue> entries) implements BValue {
  public BDict {
    // Re-sort into natural order: a caller's SortedMap may carry another comparator.
    TreeMap<BBytes, BValue> copy = new TreeMap<>();
    entries.forEach((k, v) -> copy.put(Objects.requireNonNull(k), Objects.requireNonNull(v)));
    entries = Collections.unmodifiableSortedMap(copy);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Optional<BValue> get(String key) {
    return get(BBytes.of(key));
  }

  public Optional<BValue> get(BBytes key) {
    return Optional.ofNullable(entries.get(key));
  }

  /** Collects entries, then {@link #build()} freezes them. */
  public static final class Builder {
    private final TreeMap<BBytes, BValue> entries = new TreeMap<>();

    private Builder() {}

    public Builder put(BBytes key, BValue value) {
      entries.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
      return this;
    }

    public Builder put(String key, BValue value) {
      return put(BBytes.of(key), value);
    }

    public Builder put(String key, long value) {
      return put(key, new BInt(value));
    }

    public Builder put(String key, String value) {
      return put(key, BBytes.of(value));
    }

    public Builder put(String key, byte[] value) {
      return put(key, new BBytes(value));
    }

    public BDict build() {
      return new BDict(entries);
    }
  }
}
