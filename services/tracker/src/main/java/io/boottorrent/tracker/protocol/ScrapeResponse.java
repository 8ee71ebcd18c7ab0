package io.boottorrent.tracker.protocol;

import io.boottorrent.core.InfoHash;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A scrape answer (BEP 48): {@code files} keyed by the raw 20-byte info-hash. */
public record ScrapeResponse(Map<InfoHash, Stats> files) {
  /**
   * @param complete seeders now
   * @param downloaded completed events ever seen
   * @param incomplete leechers now
   */
  public record Stats(int complete, long downloaded, int incomplete) {}

  public ScrapeResponse {
    files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
  }

  public byte[] encode() {
    BDict.Builder byHash = BDict.builder();
    files.forEach((hash, stats) -> byHash.put(new BBytes(hash.bytes()), BDict.builder()
        .put("complete", stats.complete())
        .put("downloaded", stats.downloaded())
        .put("incomplete", stats.incomplete())
        .build()));
    return Bencode.encode(BDict.builder().put("files", byHash.build()).build());
  }
}
