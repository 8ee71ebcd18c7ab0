package io.boottorrent.catalog;

import io.boottorrent.core.MacAddress;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.ImageManifest;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * What a boot profile posted for an image may be, as pure functions: {@link ImageStore} checks it
 * under its lock against the image's current manifest and stores the result, the verticle serves it.
 * A profile is only a hint (the agent hash-checks every piece it prefetches), so the checks bound what
 * a host on the boot network can make later machines ask for first: pieces of this torrent only, each
 * once, at most {@code catalog.bootProfileMaxPieces} of them. Every refusal names the bad value.
 */
final class BootProfiles {
  private BootProfiles() {}

  /** The image's piece count: {@code ceil(total_size / piece_length)}; 0 for a manifest without pieces. */
  static int pieceCount(ImageManifest image) {
    long length = image.getPieceLength();
    if (length <= 0 || image.getTotalSize() <= 0) {
      return 0;
    }
    return (int) Math.min(Integer.MAX_VALUE, (image.getTotalSize() + length - 1) / length);
  }

  /**
   * {@code posted} as it is stored for {@code image}: {@code image} set to its name, {@code recorded_by}
   * canonical, {@code recorded_at_ms} = {@code nowMs}.
   *
   * @throws CatalogException 400 for a field out of range, 409 for a profile recorded on another
   *     torrent than the image's current one, 422 for an image without a piece length
   */
  static BootProfile validate(ImageManifest image, BootProfile posted, int maxPieces, long nowMs) {
    checkTorrent(image, posted);
    String name = image.getName();
    String recordedBy = MacAddress.tryParse(posted.getRecordedBy()).map(MacAddress::canonical)
        .orElseThrow(() -> CatalogException.badRequest("recorded_by '" + shorten(posted.getRecordedBy())
            + "' is not a MAC address (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff)"));
    int count = posted.getPiecesCount();
    if (count == 0) {
      throw CatalogException.badRequest("pieces is empty: a profile names at least one piece");
    }
    if (count > maxPieces) {
      throw CatalogException.badRequest(count + " pieces; at most " + maxPieces + " (catalog.bootProfileMaxPieces)");
    }
    int pieces = pieceCount(image);
    if (pieces == 0) {
      throw CatalogException.unprocessable("image " + name + " has no pieces to profile (piece_length "
          + image.getPieceLength() + ", total_size " + image.getTotalSize() + ")");
    }
    Map<Integer, Integer> firstAt = new HashMap<>(count * 2);
    for (int i = 0; i < count; i++) {
      int p = posted.getPieces(i);
      if (p < 0 || p >= pieces) {
        throw CatalogException.badRequest("pieces[" + i + "] = " + p + " is not a piece of image " + name + " ("
            + pieces + " pieces: 0.." + (pieces - 1) + ")");
      }
      Integer before = firstAt.putIfAbsent(p, i);
      if (before != null) {
        throw CatalogException.badRequest("pieces[" + i + "] = " + p + " repeats pieces[" + before + "]");
      }
    }
    if (posted.getReadAtMsCount() != count) {
      throw CatalogException.badRequest("read_at_ms has " + posted.getReadAtMsCount() + " entries, pieces " + count
          + ": one time per piece");
    }
    for (int i = 0; i < count; i++) {
      int at = posted.getReadAtMs(i);
      if (at < 0) {
        throw CatalogException.badRequest("read_at_ms[" + i + "] = " + at + " is negative");
      }
      if (i > 0 && at < posted.getReadAtMs(i - 1)) {
        throw CatalogException.badRequest("read_at_ms[" + i + "] = " + at + " is before read_at_ms[" + (i - 1)
            + "] = " + posted.getReadAtMs(i - 1) + ": the times are in the order first read");
      }
    }
    return posted.toBuilder().setImage(name).setRecordedBy(recordedBy).setRecordedAtMs(nowMs).build();
  }

  /**
   * The part of {@link #validate} that says whether {@code posted} is about {@code image} as it is now:
   * its {@code image} empty or the image's name, its {@code info_hash} the image's current one.
   *
   * @throws CatalogException 400 for another name or no info hash, 409 for another torrent
   */
  static void checkTorrent(ImageManifest image, BootProfile posted) {
    String name = image.getName();
    if (!posted.getImage().isEmpty() && !posted.getImage().equals(name)) {
      throw CatalogException.badRequest("image '" + shorten(posted.getImage()) + "' in the body is not '" + name
          + "' in the path");
    }
    if (posted.getInfoHash().isEmpty()) {
      throw CatalogException.badRequest("info_hash is required: the torrent the profile was recorded on (image "
          + name + " is " + image.getInfoHash() + ")");
    }
    if (!posted.getInfoHash().equals(image.getInfoHash())) {
      throw CatalogException.conflict("profile recorded on torrent " + shorten(posted.getInfoHash()) + ", image "
          + name + " is now " + image.getInfoHash());
    }
  }

  /** The 409 of a second profile while one is stored for the image's torrent: who recorded it, and when. */
  static CatalogException alreadyRecorded(BootProfile stored) {
    return CatalogException.conflict("image " + stored.getImage() + " has a boot profile already, recorded by "
        + stored.getRecordedBy() + " at " + Instant.ofEpochMilli(stored.getRecordedAtMs())
        + " on torrent " + stored.getInfoHash() + "; the first one stays until an operator deletes it "
        + "(DELETE /api/v1/images/" + stored.getImage() + "/boot-profile)");
  }

  /** Whether {@code stored} was recorded on the torrent {@code image} has now (else it is stale). */
  static boolean current(BootProfile stored, ImageManifest image) {
    return stored.getInfoHash().equals(image.getInfoHash()) && stored.getImage().equals(image.getName());
  }

  private static String shorten(String s) {
    String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() > 64 ? printable.substring(0, 64) + "..." : printable;
  }
}
