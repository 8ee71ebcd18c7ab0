package io.boottorrent.tracker.protocol;

import java.util.List;

/** A bencoded list ({@code l...e}). */
public record BList(List<BValue> items) implements BValue {
  public BList {
    items = List.copyOf(items);
  }

  public static BList of(BValue... items) {
    return new BList(List.of(items));
  }
}
