package io.boottorrent.proto;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.vertx.core.eventbus.EventBus;
import java.util.List;

/**
 * Registers the protobuf codec for every message type that crosses the event bus. Call on every
 * Vert.x instance before any consumer is registered: the codec name travels with each message and a
 * node that lacks it fails with "No message codec registered".
 */
public final class Codecs {
  private record Entry<T extends Message>(Class<T> type, Parser<T> parser) {
    void register(EventBus bus) {
      bus.registerDefaultCodec(type, new ProtoCodec<>(type, parser));
    }
  }

  static final List<Entry<?>> ALL = List.of(
      new Entry<>(ImageManifest.class, ImageManifest.parser()),
      new Entry<>(ImageList.class, ImageList.parser()),
      new Entry<>(ImageEvent.class, ImageEvent.parser()),
      new Entry<>(AddImageRequest.class, AddImageRequest.parser()),
      new Entry<>(BootPolicy.class, BootPolicy.parser()),
      new Entry<>(BootAssignment.class, BootAssignment.parser()),
      new Entry<>(BootScriptRequest.class, BootScriptRequest.parser()),
      new Entry<>(BootScript.class, BootScript.parser()),
      new Entry<>(BootEvent.class, BootEvent.parser()),
      new Entry<>(SeederStatus.class, SeederStatus.parser()),
      new Entry<>(TorrentStatus.class, TorrentStatus.parser()),
      new Entry<>(PeerEntry.class, PeerEntry.parser()),
      new Entry<>(SwarmStats.class, SwarmStats.parser()),
      new Entry<>(TokenCheck.class, TokenCheck.parser()),
      new Entry<>(TokenCheckResult.class, TokenCheckResult.parser()));

  private Codecs() {}

  /** Idempotent per event bus: registering twice would throw, so callers may call it freely. */
  public static synchronized void registerAll(EventBus bus) {
    for (Entry<?> entry : ALL) {
      try {
        entry.register(bus);
      } catch (IllegalStateException alreadyRegistered) {
        // Another verticle in this JVM registered it first: same codec, nothing to do.
      }
    }
  }
}
