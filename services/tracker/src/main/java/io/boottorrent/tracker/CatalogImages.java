package io.boottorrent.tracker;

import io.boottorrent.core.InfoHash;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The info-hashes the tracker tracks: those of the catalog's images, as learnt from the catalog's
 * first {@code catalog.image.list} answer and its {@code catalog.image.added}/{@code removed} events.
 * Pure state, used from one verticle's event loop (no synchronization, no Vert.x).
 *
 * <p>Events may arrive before the list answer and the list may have been taken before them: an image
 * added before the list stays, and one removed before the list is not revived by it. Until the list
 * has arrived, hashes the events did not name are {@link Verdict#CATALOG_NOT_HEARD}, never tracked.
 */
final class CatalogImages {
  /** Whether an info-hash may be tracked. */
  enum Verdict {
    TRACKED,
    NOT_IN_CATALOG,
    /** No catalog list yet: the hash may well be an image, the tracker cannot tell. */
    CATALOG_NOT_HEARD
  }

  private final Map<String, InfoHash> byName = new HashMap<>();
  private final Set<InfoHash> removedBeforeList = new HashSet<>();
  private boolean listed;
  /** Hashes removed while a refresh ({@link #refreshStarted}) is in flight; null when none is. */
  private Set<InfoHash> removedDuringRefresh;

  Verdict verdict(InfoHash infoHash) {
    if (byName.containsValue(infoHash)) {
      return Verdict.TRACKED;
    }
    return listed ? Verdict.NOT_IN_CATALOG : Verdict.CATALOG_NOT_HEARD;
  }

  boolean listed() {
    return listed;
  }

  /** Images tracked now. */
  int size() {
    return (int) byName.values().stream().distinct().count();
  }

  /**
   * The catalog's answer to {@code catalog.image.list}, name to info-hash. Where an event already
   * named an image, the event wins: the list may have been taken before it.
   */
  void list(Map<String, InfoHash> images) {
    images.forEach((name, hash) -> {
      if (!removedBeforeList.contains(hash) && !byName.containsKey(name)) {
        byName.put(name, hash);
      }
    });
    removedBeforeList.clear();
    listed = true;
  }

  /** A new {@code catalog.image.list} request is on its way (an announce named an unknown hash). */
  void refreshStarted() {
    removedDuringRefresh = new HashSet<>();
  }

  /**
   * Its answer: images this tracker has not heard of are added, except those removed since the
   * request left (the answer may predate the removal). {@code null}: the request failed.
   */
  void refreshed(Map<String, InfoHash> images) {
    if (images != null && removedDuringRefresh != null) {
      images.forEach((name, hash) -> {
        if (!removedDuringRefresh.contains(hash) && !byName.containsKey(name)) {
          byName.put(name, hash);
        }
      });
    }
    removedDuringRefresh = null;
  }

  /**
   * {@code catalog.image.added}.
   *
   * @return the hash the name stood for until now, if it is no longer tracked (the image was replaced)
   */
  Optional<InfoHash> added(String name, InfoHash infoHash) {
    removedBeforeList.remove(infoHash);
    InfoHash before = byName.put(name, infoHash);
    return before == null || before.equals(infoHash) || byName.containsValue(before)
        ? Optional.empty() : Optional.of(before);
  }

  /**
   * {@code catalog.image.removed}; the event carries the name and usually the hash.
   *
   * @return the hash no longer tracked (its swarm is to be dropped), unless another name still has it
   *     or the event named neither a hash nor a known name
   */
  Optional<InfoHash> removed(String name, Optional<InfoHash> infoHash) {
    InfoHash known = byName.get(name);
    InfoHash hash = infoHash.orElse(known);
    if (hash == null) {
      return Optional.empty();
    }
    if (hash.equals(known)) {
      byName.remove(name);
    } else {
      byName.values().removeIf(hash::equals);
    }
    if (!listed) {
      removedBeforeList.add(hash);
    }
    if (removedDuringRefresh != null) {
      removedDuringRefresh.add(hash);
    }
    return byName.containsValue(hash) ? Optional.empty() : Optional.of(hash);
  }
}
