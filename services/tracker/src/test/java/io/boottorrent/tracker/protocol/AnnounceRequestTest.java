package io.boottorrent.tracker.protocol;

import static io.boottorrent.tracker.protocol.AnnounceQuery.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.tracker.protocol.AnnounceRequest.Event;
import java.net.InetAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AnnounceRequestTest {
  private static final int DEFAULT_NUMWANT = 50;
  private static final int MAX_NUMWANT = 200;
  private static final byte[] HASH = id(1);
  private static final byte[] PEER = id(2);

  private static AnnounceRequest parse(String raw) throws MalformedRequestException {
    return AnnounceRequest.parse(raw, DEFAULT_NUMWANT, MAX_NUMWANT);
  }

  private static AnnounceQuery valid() {
    return AnnounceQuery.of(HASH, PEER, 6881);
  }

  @Test
  void parsesEveryFieldOfALibtorrentStyleAnnounce() throws Exception {
    // GIVEN an announce as libtorrent sends it (BEP 3 fields, BEP 23 compact, key, numwant)
    String raw = "info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A"
        + "&peer_id=-LT2060-%01%02%03%04%05%06%07%08%09%0A%0B%0C"
        + "&port=6881&uploaded=1024&downloaded=2048&left=4096&corrupt=0&key=5C9E1A3B"
        + "&event=started&numwant=80&compact=1&no_peer_id=1&supportcrypto=1&redundant=0";

    // WHEN parsed
    AnnounceRequest request = parse(raw);

    // THEN every field has the client's value, binary ids byte for byte
    assertThat(request.infoHash().hex()).isEqualTo("123456789abcdef123456789abcdef123456789a");
    assertThat(request.peerId().bytes()).startsWith("-LT2060-".getBytes()).endsWith(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    assertThat(request.port()).isEqualTo(6881);
    assertThat(request.uploaded()).isEqualTo(1024);
    assertThat(request.downloaded()).isEqualTo(2048);
    assertThat(request.left()).isEqualTo(4096);
    assertThat(request.seed()).isFalse();
    assertThat(request.event()).isEqualTo(Event.STARTED);
    assertThat(request.numwant()).isEqualTo(80);
    assertThat(request.compact()).isTrue();
    assertThat(request.noPeerId()).isTrue();
    assertThat(request.peerFormat()).isEqualTo(PeerFormat.COMPACT);
    assertThat(request.key()).contains("5C9E1A3B");
    assertThat(request.ip()).isEmpty();
  }

  @Test
  void appliesDefaultsForOptionalParameters() throws Exception {
    // GIVEN only the required parameters, for a seed (left=0)
    AnnounceRequest request = parse(valid().left(0).build());

    // THEN compact is on (BEP 23 default), event none, numwant the default
    assertThat(request.seed()).isTrue();
    assertThat(request.compact()).isTrue();
    assertThat(request.event()).isEqualTo(Event.NONE);
    assertThat(request.numwant()).isEqualTo(DEFAULT_NUMWANT);
    assertThat(request.key()).isEmpty();
  }

  @ParameterizedTest(name = "event={0}")
  @CsvSource({"started, STARTED", "completed, COMPLETED", "stopped, STOPPED", "paused, PAUSED", "'', NONE"})
  void parsesEveryEvent(String wire, Event event) throws Exception {
    assertThat(parse(valid().event(wire).build()).event()).isEqualTo(event);
  }

  @ParameterizedTest(name = "compact={0} no_peer_id={1} -> {2}")
  @CsvSource({"1, 0, COMPACT", "1, 1, COMPACT", "0, 0, DICT", "0, 1, DICT_NO_PEER_ID"})
  void choosesThePeerFormatFromCompactAndNoPeerId(String compact, String noPeerId, PeerFormat format)
      throws Exception {
    AnnounceRequest request = parse(valid().raw("compact", compact).raw("no_peer_id", noPeerId).build());
    assertThat(request.peerFormat()).isEqualTo(format);
  }

  @ParameterizedTest(name = "numwant={0} -> {1}")
  @CsvSource({
      "0, 0",
      "7, 7",
      "200, 200",
      "201, 200",
      "999999, 200",
      "99999999999999999999999999, 200",
      "007, 7"})
  void clampsNumwantToTheMaximum(String numwant, int expected) throws Exception {
    // GIVEN a numwant of any size WHEN parsed THEN it is at most tracker.maxNumwant, never refused
    assertThat(parse(valid().raw("numwant", numwant).build()).numwant()).isEqualTo(expected);
  }

  @Test
  void clampsTheDefaultNumwantToo() throws Exception {
    assertThat(AnnounceRequest.parse(valid().build(), 500, 30).numwant()).isEqualTo(30);
  }

  @ParameterizedTest(name = "ip={0}")
  @ValueSource(strings = {"192.168.1.20", "2001:db8::1", "2001%3Adb8%3A%3A1"})
  void acceptsAnIpLiteralParameter(String ip) throws Exception {
    AnnounceRequest request = parse(valid().ip(ip).build());
    assertThat(request.ip()).map(InetAddress::getHostAddress).hasValueSatisfying(
        text -> assertThat(text).isIn("192.168.1.20", "2001:db8:0:0:0:0:0:1"));
  }

  @Test
  void treatsAnEmptyIpAsAbsent() throws Exception {
    assertThat(parse(valid().ip("").build()).ip()).isEmpty();
  }

  @ParameterizedTest(name = "missing {0}")
  @ValueSource(strings = {"info_hash", "peer_id", "port", "uploaded", "downloaded", "left"})
  void refusesAnAnnounceMissingARequiredParameter(String name) {
    // GIVEN a valid announce without one BEP 3 parameter WHEN parsed THEN the reason names it
    assertThatThrownBy(() -> parse(valid().raw(name, null).build()))
        .isInstanceOf(MalformedRequestException.class)
        .hasMessage("missing " + name);
  }

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "info_hash | %12%34 | info_hash must be 20 bytes, got 2",
      "info_hash | aaaaaaaaaaaaaaaaaaaaa | info_hash must be 20 bytes, got 21",
      "info_hash | '' | info_hash must be 20 bytes, got 0",
      "info_hash | %1 | info_hash: bad percent escape",
      "peer_id | -LT2060- | peer_id must be 20 bytes, got 8",
      "peer_id | %zz%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00 | peer_id: bad percent escape",
      "port | 0 | port must be 1..65535",
      "port | 65536 | port must be 1..65535",
      "port | -1 | port must be a non-negative integer",
      "port | 68x1 | port must be a non-negative integer",
      "port | '' | port must be a non-negative integer",
      "port | 99999999999999999999 | port is out of range",
      "uploaded | -5 | uploaded must be a non-negative integer",
      "downloaded | +5 | downloaded must be a non-negative integer",
      "left | -1 | left must be a non-negative integer",
      "left | 1e6 | left must be a non-negative integer",
      "left | 99999999999999999999 | left is out of range",
      "numwant | -1 | numwant must be a non-negative integer",
      "numwant | ten | numwant must be a non-negative integer",
      "event | start | unknown event",
      "event | STARTED | unknown event",
      "compact | yes | compact must be 0 or 1",
      "no_peer_id | 2 | no_peer_id must be 0 or 1",
      "ip | tracker.example.org | ip must be an IPv4 or IPv6 address literal",
      "ip | 300.1.1.1 | ip must be an IPv4 or IPv6 address literal"})
  void refusesInvalidValuesWithAFailureReason(String name, String value, String reason) {
    // GIVEN a valid announce with one bad value WHEN parsed THEN the failure reason says what is wrong
    assertThatThrownBy(() -> parse(valid().raw(name, value).build()))
        .isInstanceOf(MalformedRequestException.class)
        .hasMessage(reason);
  }

  @Test
  void refusesAnInfoHashGivenTwice() {
    String raw = valid().build() + "&info_hash=" + AnnounceQuery.escape(id(9));
    assertThatThrownBy(() -> parse(raw)).hasMessage("info_hash given more than once");
  }

  @Test
  void refusesAnOverlongKey() {
    assertThatThrownBy(() -> parse(valid().raw("key", "k".repeat(65)).build())).hasMessage("key longer than 64 bytes");
  }

  @Test
  void refusesAnEmptyQuery() {
    assertThatThrownBy(() -> parse(null)).hasMessage("missing info_hash");
  }

  @Test
  void keepsTheBinaryIdsIntactThroughEscaping() throws Exception {
    // GIVEN ids made of bytes that all need escaping (0x80..0x93)
    byte[] hash = new byte[20];
    for (int i = 0; i < 20; i++) {
      hash[i] = (byte) (0x80 + i);
    }

    // WHEN sent escaped and parsed THEN the bytes are unchanged (no UTF-8 detour)
    AnnounceRequest request = parse(AnnounceQuery.of(hash, PEER, 1).build());
    assertThat(request.infoHash().hex()).isEqualTo(HexFormat.of().formatHex(hash));
    assertThat(request.peerId().bytes()).isEqualTo(PEER);
  }
}
