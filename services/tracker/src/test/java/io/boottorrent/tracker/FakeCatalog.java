package io.boottorrent.tracker;

import static io.boottorrent.tracker.TrackerHttp.await;

import io.boottorrent.core.InfoHash;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The catalog as a tracker hears it over the event bus: it answers {@code catalog.image.list} with
 * its images (name and info-hash, which is all the tracker reads) and publishes
 * {@code catalog.image.added}/{@code removed} the catalog's way.
 */
final class FakeCatalog {
  private final Vertx vertx;
  private final Map<String, InfoHash> images = new ConcurrentHashMap<>();

  private FakeCatalog(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A catalog of {@code hashes}, named {@code image-0}, {@code image-1}…, already answering. */
  static FakeCatalog serving(Vertx vertx, byte[]... hashes) {
    FakeCatalog catalog = new FakeCatalog(vertx);
    for (int i = 0; i < hashes.length; i++) {
      catalog.images.put("image-" + i, new InfoHash(hashes[i]));
    }
    MessageConsumer<Object> listing = vertx.eventBus().consumer(Addresses.IMAGE_LIST, request -> {
      ImageList.Builder list = ImageList.newBuilder();
      catalog.images.forEach((name, hash) -> list.addImages(manifest(name, hash)));
      request.reply(list.build());
    });
    await(listing.completion());
    return catalog;
  }

  /** Stores and announces a new image. */
  void add(String name, byte[] hash) {
    images.put(name, new InfoHash(hash));
    vertx.eventBus().publish(Addresses.IMAGE_ADDED,
        ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED).setImage(manifest(name, new InfoHash(hash))).build());
  }

  /** Stores an image whose ADDED event has not reached the tracker yet (it is on its way). */
  void storeSilently(String name, byte[] hash) {
    images.put(name, new InfoHash(hash));
  }

  /** Deletes an image and announces it the catalog's way (a REMOVED event has only name and info-hash). */
  void remove(String name) {
    InfoHash hash = images.remove(name);
    vertx.eventBus().publish(Addresses.IMAGE_REMOVED,
        ImageEvent.newBuilder().setType(ImageEvent.Type.REMOVED).setImage(manifest(name, hash)).build());
  }

  private static ImageManifest manifest(String name, InfoHash hash) {
    return ImageManifest.newBuilder().setName(name).setInfoHash(hash.hex()).build();
  }
}
