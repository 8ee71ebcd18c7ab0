package io.boottorrent.tracker.protocol;

import io.boottorrent.core.InfoHash;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** BEP 48 scrape: request parsing and response encoding. */
class ScrapeTest {
  private static final String A = "a".repeat(20);
  private static final String B = "b".repeat(20);
  private static final String C = "c".repeat(20);

  private static InfoHash hash(String twentyAscii) {
    return new InfoHash(twentyAscii.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void parsesRepeatedInfoHashesAsInTheBep48Example() throws MalformedRequestException {
    // GIVEN the BEP 48 style request: info_hash appended once per swarm, here as literal bytes
    String raw = "info_hash=" + A + "&info_hash=" + B + "&info_hash=" + C;

    // WHEN parsed THEN the three hashes come back in request order
    assertThat(ScrapeRequest.parse(raw).infoHashes()).containsExactly(hash(A), hash(B), hash(C));
  }

  @Test
  void collapsesDuplicateInfoHashes() throws MalformedRequestException {
    String raw = "info_hash=" + A + "&info_hash=%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61";
    assertThat(ScrapeRequest.parse(raw).infoHashes()).containsExactly(hash(A));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "'' | missing info_hash (full scrape is not supported)",
      "peer_id=x | missing info_hash (full scrape is not supported)",
      "info_hash=abc | info_hash must be 20 bytes, got 3",
      "info_hash=aaaaaaaaaaaaaaaaaaaa&info_hash=%zz | info_hash: bad percent escape"})
  void refusesMalformedScrapes(String raw, String reason) {
    assertThatThrownBy(() -> ScrapeRequest.parse(raw))
        .isInstanceOf(MalformedRequestException.class)
        .hasMessage(reason);
  }

  @Test
  void refusesMoreHashesThanTheLimit() {
    StringBuilder raw = new StringBuilder();
    for (int i = 0; i <= ScrapeRequest.MAX_INFO_HASHES; i++) {
      raw.append("&info_hash=").append(AnnounceQuery.escape(AnnounceQuery.id(i)));
    }
    assertThatThrownBy(() -> ScrapeRequest.parse(raw.substring(1)))
        .hasMessage("more than " + ScrapeRequest.MAX_INFO_HASHES + " info_hash values");
  }

  @Test
  void encodesTheFilesDictionaryOfTheSpecExample() {
    // GIVEN the scrape example of the BitTorrent spec: 5 seeders, 50 completed, 10 leechers
    ScrapeResponse response = new ScrapeResponse(Map.of(hash(A), new ScrapeResponse.Stats(5, 50, 10)));

    // WHEN encoded THEN three nested dictionaries, keyed by the raw 20-byte hash
    assertThat(response.encode()).isEqualTo(("d5:filesd20:" + A
        + "d8:completei5e10:downloadedi50e10:incompletei10eeee").getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void sortsSeveralSwarmsByRawHashAndRoundTrips() throws BencodeException {
    // GIVEN two swarms listed out of byte order, one with a non-ASCII hash
    byte[] high = new byte[20];
    java.util.Arrays.fill(high, (byte) 0xee);
    Map<InfoHash, ScrapeResponse.Stats> files = new LinkedHashMap<>();
    files.put(new InfoHash(high), new ScrapeResponse.Stats(0, 0, 0));
    files.put(hash(B), new ScrapeResponse.Stats(1, 2, 3));

    // WHEN encoded and decoded
    BDict decoded = (BDict) Bencode.decode(new ScrapeResponse(files).encode());

    // THEN files holds both, "bbb…" first (0x62 < 0xee), each with its counts
    BDict byHash = (BDict) decoded.get("files").orElseThrow();
    assertThat(byHash.entries().keySet()).containsExactly(BBytes.of(B), new BBytes(high));
    BDict stats = (BDict) byHash.get(BBytes.of(B)).orElseThrow();
    assertThat(stats.get("complete")).contains(new BInt(1));
    assertThat(stats.get("downloaded")).contains(new BInt(2));
    assertThat(stats.get("incomplete")).contains(new BInt(3));
  }
}
