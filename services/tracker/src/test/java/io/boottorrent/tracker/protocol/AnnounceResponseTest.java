package io.boottorrent.tracker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnnounceResponseTest {
  private static final String ID_A = "-BT0001-aaaaaaaaaaaa";
  private static final String ID_B = "-BT0001-bbbbbbbbbbbb";

  private static Peer peer(String peerId, String ip, int port) {
    return new Peer(new PeerId(peerId.getBytes(StandardCharsets.US_ASCII)),
        IpAddresses.parseLiteral(ip).orElseThrow(), port);
  }

  private static byte[] latin1(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static final List<Peer> TWO_PEERS =
      List.of(peer(ID_A, "192.168.24.52", 2001), peer(ID_B, "192.168.0.3", 6889));

  @Test
  void encodesCompactPeersAsSixBytesEachPerBep23() {
    // GIVEN the compact example of the BitTorrent spec: 192.168.24.52:2001 => C0 A8 18 34 07 D1
    AnnounceResponse response =
        new AnnounceResponse(3600, 60, 1, 0, List.of(peer(ID_A, "192.168.24.52", 2001)), Optional.empty());

    // WHEN encoded compact
    byte[] wire = response.encode(PeerFormat.COMPACT);

    // THEN the peers value is exactly those six bytes, in a sorted dictionary without peers6
    byte[] expected = latin1("d8:completei1e10:incompletei0e8:intervali3600e12:min intervali60e5:peers6:"
        + "\u00c0\u00a8\u0018\u0034\u0007\u00d1e");
    assertThat(wire).isEqualTo(expected);
  }

  @Test
  void encodesDictionaryPeersWithPeerIdsPerBep3() {
    // GIVEN two peers WHEN encoded in the original BEP 3 form
    byte[] wire = new AnnounceResponse(3600, 60, 0, 2, TWO_PEERS, Optional.empty()).encode(PeerFormat.DICT);

    // THEN each peer is a dictionary of ip, peer id and port, keys sorted
    String peers = "ld2:ip13:192.168.24.527:peer id20:" + ID_A + "4:porti2001ee"
        + "d2:ip11:192.168.0.37:peer id20:" + ID_B + "4:porti6889eee";
    assertThat(wire).isEqualTo(
        latin1("d8:completei0e10:incompletei2e8:intervali3600e12:min intervali60e5:peers" + peers + "e"));
  }

  @Test
  void leavesOutPeerIdsWhenTheClientSentNoPeerId() {
    byte[] wire = new AnnounceResponse(3600, 60, 0, 2, TWO_PEERS, Optional.empty())
        .encode(PeerFormat.DICT_NO_PEER_ID);

    String peers = "ld2:ip13:192.168.24.524:porti2001eed2:ip11:192.168.0.34:porti6889eee";
    assertThat(wire).isEqualTo(
        latin1("d8:completei0e10:incompletei2e8:intervali3600e12:min intervali60e5:peers" + peers + "e"));
  }

  @Test
  void putsIpv6PeersIntoPeers6WhenCompact() throws BencodeException {
    // GIVEN one IPv4 and one IPv6 peer
    List<Peer> peers = List.of(peer(ID_A, "10.10.10.5", 128), peer(ID_B, "2001:db8::1", 6881));

    // WHEN encoded compact
    BDict dict = (BDict) Bencode.decode(
        new AnnounceResponse(30, 5, 2, 0, peers, Optional.empty()).encode(PeerFormat.COMPACT));

    // THEN IPv4 goes to peers (6 bytes) and IPv6 to peers6 (18 bytes, BEP 7)
    assertThat(dict.get("peers")).contains(new BBytes(new byte[] {10, 10, 10, 5, 0, (byte) 128}));
    byte[] v6 = new byte[18];
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[2] = 0x0d;
    v6[3] = (byte) 0xb8;
    v6[15] = 1;
    v6[16] = 0x1a;
    v6[17] = (byte) 0xe1;
    assertThat(dict.get("peers6")).contains(new BBytes(v6));
  }

  @Test
  void encodesAnEmptyPeerListAsAnEmptyString() {
    byte[] wire = new AnnounceResponse(30, 5, 0, 1, List.of(), Optional.empty()).encode(PeerFormat.COMPACT);
    assertThat(new String(wire, StandardCharsets.ISO_8859_1)).endsWith("5:peers0:e");
  }

  @Test
  void includesTheWarningMessageWhenThereIsOne() throws BencodeException {
    byte[] wire = new AnnounceResponse(30, 5, 0, 0, List.of(), Optional.of("slow down")).encode(PeerFormat.COMPACT);
    BDict dict = (BDict) Bencode.decode(wire);
    assertThat(dict.get("warning message")).contains(BBytes.of("slow down"));
    assertThat(dict.get("interval")).contains(new BInt(30));
    assertThat(dict.get("min interval")).contains(new BInt(5));
  }

  @Test
  void roundTripsDictionaryPeersThroughTheDecoder() throws BencodeException {
    // GIVEN an encoded dictionary-form answer WHEN decoded THEN the peers read back as sent
    BDict dict = (BDict) Bencode.decode(
        new AnnounceResponse(30, 5, 1, 1, TWO_PEERS, Optional.empty()).encode(PeerFormat.DICT));

    BList peers = (BList) dict.get("peers").orElseThrow();
    assertThat(peers.items()).hasSize(2);
    BDict first = (BDict) peers.items().get(0);
    assertThat(first.get("ip")).contains(BBytes.of("192.168.24.52"));
    assertThat(first.get("port")).contains(new BInt(2001));
    assertThat(first.get("peer id")).contains(BBytes.of(ID_A));
  }

  @Test
  void encodesAFailureAsADictionaryWithOnlyTheReason() {
    // GIVEN a refusal WHEN encoded THEN only "failure reason" is present (BEP 3)
    assertThat(new FailureResponse("missing info_hash").encode())
        .isEqualTo(latin1("d14:failure reason17:missing info_hashe"));
  }
}
