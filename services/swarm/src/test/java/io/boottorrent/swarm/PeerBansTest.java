package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.PeerSource;
import org.junit.jupiter.api.Test;

/** Which disconnects count as libtorrent's smart ban, and that an address is banned once. */
class PeerBansTest {
  private static final PeerSource.Peer BAD = new PeerSource.Peer("127.0.0.51", 40000);

  @Test
  void aPeerBannedDisconnectWithoutAPeerBanAlertIsTheSmartBan() {
    PeerBans bans = new PeerBans();
    assertThat(bans.smartBan(BAD)).isTrue();
  }

  @Test
  void aPeerBannedDisconnectOfAnEndpointLibtorrentAnnouncedIsItsTrustPointBanNotEvidence() {
    // GIVEN libtorrent banned an endpoint itself (peer_ban_alert: trust points, or a one-peer piece)
    PeerBans bans = new PeerBans();
    bans.libtorrentBanned(BAD);
    // THEN that endpoint coming back and being turned away is no smart ban; another port of it is
    assertThat(bans.smartBan(BAD)).isFalse();
    assertThat(bans.smartBan(new PeerSource.Peer("127.0.0.51", 40001))).isTrue();
  }

  @Test
  void anAddressIsBannedOnceAndItsRefusedConnectionsAreCounted() {
    PeerBans bans = new PeerBans();
    assertThat(bans.ban("127.0.0.51")).isTrue();
    assertThat(bans.ban("127.0.0.51")).isFalse();
    assertThat(bans.smartBan(new PeerSource.Peer("127.0.0.51", 40002))).as("already banned").isFalse();
    bans.refused("127.0.0.51");
    bans.refused("127.0.0.51");
    assertThat(bans.refusedFrom("127.0.0.51")).isEqualTo(2);
    assertThat(bans.refusedFrom("127.0.0.1")).isZero();
    assertThat(bans.isBanned("127.0.0.1")).isFalse();
    assertThat(bans.banned()).containsExactly("127.0.0.51");
  }

  @Test
  void libtorrentsBanOfAnEndpointWithFewerThanThreeEarlierFailuresIsItsLoneSenderVerdict() {
    // GIVEN an endpoint that took part in three failed pieces, each shared with another peer
    PeerBans bans = new PeerBans();
    PeerSource.Peer honest = new PeerSource.Peer("127.0.0.50", 6881);
    assertThat(bans.loneSender(BAD)).isTrue();
    for (int piece = 0; piece < 3; piece++) {
      bans.pieceFailed(new BlockAccounting.FailedPiece(piece,
          java.util.Map.of(BAD, 16384L, honest, 16384L), 0, 0));
      // THEN up to two earlier failures a ban can only be the verdict that a piece came from it alone
      assertThat(bans.loneSender(honest)).isEqualTo(piece < 2);
    }
    // AND after three, libtorrent may be banning it on trust points (the fourth failure): no verdict
    assertThat(bans.loneSender(honest)).isFalse();
    assertThat(bans.loneSender(new PeerSource.Peer("127.0.0.50", 6882))).isTrue();
  }
}
