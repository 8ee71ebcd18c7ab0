package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.PeerEntry;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import io.boottorrent.tracker.protocol.IpAddresses;
import io.boottorrent.tracker.protocol.PeerId;
import org.junit.jupiter.api.Test;

class PeerKeyTest {
  private static final PeerId ID = new PeerId(AnnounceQuery.ascii("-LT2000-abcdefghijkl"));

  @Test
  void keysByPeerIdAndAddressAsTheClusterMapWritesIt() {
    PeerKey key = PeerKey.of(ID, IpAddresses.parseLiteral("10.0.0.7").orElseThrow());
    assertThat(key).hasToString("2d4c54323030302d6162636465666768696a6b6c@10.0.0.7");
    // the same peer id from another address is another key
    assertThat(key).isNotEqualTo(PeerKey.of(ID, IpAddresses.parseLiteral("10.0.0.8").orElseThrow()));
  }

  @Test
  void aStoredEntryHasTheKeyOfTheAnnounceThatWroteIt() {
    // the stored ip is written with getHostAddress, so an IPv6 entry and its stop agree on one spelling
    PeerEntry entry = PeerEntry.newBuilder().setPeerId(ByteString.copyFrom(ID.bytes()))
        .setIp(IpAddresses.parseLiteral("fd00::7").orElseThrow().getHostAddress()).setPort(6881).build();
    assertThat(PeerKey.of(entry)).isEqualTo(PeerKey.of(ID, IpAddresses.parseLiteral("fd00:0::7").orElseThrow()));
    assertThat(PeerKey.of(entry).address()).isEqualTo("fd00:0:0:0:0:0:0:7");
  }
}
