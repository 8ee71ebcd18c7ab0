package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.PeerSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-source byte counts of a torrent, without libtorrent. */
class BlockAccountingTest {
  private static final int BLOCK = BlockAccounting.BLOCK_SIZE;
  // 3 pieces of 2 blocks; the last piece is 1.5 blocks long
  private static final long TOTAL = 5L * BLOCK + BLOCK / 2;
  private static final PeerSource.Peer P2 = new PeerSource.Peer("10.0.0.2", 6881);
  private static final PeerSource.Peer P3 = new PeerSource.Peer("10.0.0.3", 6881);
  private static final PeerSource.Peer P6 = new PeerSource.Peer("10.0.0.6", 6881);

  private static BlockAccounting torrent() {
    return new BlockAccounting(2 * BLOCK, 3, TOTAL);
  }

  @Test
  void countsEveryReportedBlockForItsSource() {
    BlockAccounting t = torrent();
    t.received(P2, 0, 0);
    t.received(P2, 0, 1);
    t.received(P3, 1, 0);
    t.received(P3, 1, 1);
    t.received(P2, 2, 0);
    t.received(P3, 2, 1);

    assertThat(t.reconcile()).isZero();
    assertThat(t.receivedSnapshot()).containsExactly(
        Map.entry(P2, 3L * BLOCK), Map.entry(P3, 2L * BLOCK + BLOCK / 2));
  }

  @Test
  void webSeedEndpointsAreCountedUnderTheFirstUrlRegisteredForThem() {
    BlockAccounting t = torrent();
    PeerSource.Peer endpoint = new PeerSource.Peer("127.0.0.1", 8080);
    PeerSource.WebSeed first = new PeerSource.WebSeed("http://127.0.0.1:8080/seed/");
    t.countAsWebSeed(endpoint, first);
    t.countAsWebSeed(endpoint, new PeerSource.WebSeed("http://127.0.0.1:8080/other/"));
    t.received(endpoint, 0, 0);

    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(first, (long) BLOCK));
  }

  @Test
  void theCountsAreSortedByKey() {
    // GIVEN blocks from a web seed, an IPv6 peer and an IPv4 peer, in that order
    BlockAccounting t = torrent();
    PeerSource.Peer webEndpoint = new PeerSource.Peer("10.0.0.9", 80);
    PeerSource.WebSeed seed = new PeerSource.WebSeed("http://10.0.0.9/seed/");
    PeerSource.Peer v6 = new PeerSource.Peer("fd00::7", 6881);
    t.countAsWebSeed(webEndpoint, seed);
    t.received(webEndpoint, 0, 0);
    t.received(v6, 1, 0);
    t.received(P3, 2, 0);

    // THEN the snapshot lists them by key: "10.0.0.3:6881" < "[fd00::7]:6881" < "web:…"
    assertThat(t.receivedSnapshot().keySet()).extracting(PeerSource::key)
        .containsExactly("10.0.0.3:6881", "[fd00::7]:6881", "web:http://10.0.0.9/seed/");
  }

  @Test
  void theLastBlockOfTheLastPieceIsOnlyItsTail() {
    BlockAccounting t = torrent();
    assertThat(t.blockLength(0, 1)).isEqualTo(BLOCK);
    assertThat(t.blockLength(2, 0)).isEqualTo(BLOCK);
    assertThat(t.blockLength(2, 1)).isEqualTo(BLOCK / 2);
    assertThat(t.blockLength(2, 2)).isZero();
  }

  @Test
  void alertsOutsideTheTorrentAreIgnored() {
    BlockAccounting t = torrent();
    t.received(P2, 3, 0);
    t.received(P2, 0, 2);
    t.received(P2, -1, 0);

    assertThat(t.receivedSnapshot()).isEmpty();
  }

  @Test
  void aDownloadWithoutASingleReportedBlockIsCountedForThePeerLibtorrentCreditsMost() {
    // GIVEN a one-block image downloaded from nothing, whose only block_finished alert never came
    BlockAccounting t = new BlockAccounting(BLOCK, 1, 88);
    t.nothingOnDisk();
    assertThat(t.nothingReported()).isTrue();
    // WHEN libtorrent's peer list at completion names the peer that delivered it
    t.topPeer(P6);
    // THEN the reconciliation counts the image for that peer
    assertThat(t.reconcile()).isEqualTo(1);
    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(P6, 88L));
  }

  @Test
  void aBlockWhoseFinishedAlertNeverCameIsCountedForThePeerItWasRequestedFrom() {
    // GIVEN a one-block image requested from P2, whose block_finished alert never came, and a peer
    // list at completion that no longer has P2 (a seed drops a new seed at once; a CI run saw this)
    BlockAccounting t = new BlockAccounting(BLOCK, 1, 88);
    t.nothingOnDisk();
    t.requested(P2, 0, 0);
    assertThat(t.nothingReported()).isTrue();
    // WHEN the download is reconciled without a top peer, and with another one
    // THEN the block is counted for the peer it was requested from
    assertThat(t.reconcile()).isEqualTo(1);
    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(P2, 88L));
    BlockAccounting u = new BlockAccounting(BLOCK, 1, 88);
    u.nothingOnDisk();
    u.requested(P2, 0, 0);
    u.topPeer(P6);
    u.reconcile();
    assertThat(u.receivedSnapshot()).containsExactly(Map.entry(P2, 88L));
  }

  @Test
  void aRequestToAWebSeedsEndpointIsCountedUnderTheWebSeed() {
    BlockAccounting t = new BlockAccounting(BLOCK, 1, 88);
    PeerSource.Peer endpoint = new PeerSource.Peer("127.0.0.1", 8080);
    PeerSource.WebSeed seed = new PeerSource.WebSeed("http://127.0.0.1:8080/seed/");
    t.countAsWebSeed(endpoint, seed);
    t.nothingOnDisk();
    t.requested(endpoint, 0, 0);
    t.reconcile();
    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(seed, 88L));
  }

  @Test
  void aTopPeerThatIsAWebSeedsEndpointIsCountedUnderTheWebSeed() {
    BlockAccounting t = new BlockAccounting(BLOCK, 1, 88);
    PeerSource.Peer endpoint = new PeerSource.Peer("127.0.0.1", 8080);
    PeerSource.WebSeed seed = new PeerSource.WebSeed("http://127.0.0.1:8080/seed/");
    t.countAsWebSeed(endpoint, seed);
    t.nothingOnDisk();
    t.topPeer(endpoint);
    t.reconcile();
    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(seed, 88L));
  }

  @Test
  void aReportedBlockWinsOverTheTopPeer() {
    BlockAccounting t = new BlockAccounting(BLOCK, 2, BLOCK + 88);
    t.nothingOnDisk();
    t.received(P2, 0, 0);
    t.topPeer(P6);
    t.reconcile();
    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(P2, BLOCK + 88L));
  }

  // ------------------------------------------------------------------ pieces that fail their hash check

  @Test
  void aFailedPieceIsNotCountedForWhoeverDeliveredItAndItsRedownloadIsCountedOnce() {
    // GIVEN piece 0 delivered by a bad peer, piece 1 by an honest one, piece 2 half and half
    BlockAccounting t = torrent();
    t.received(P2, 0, 0);
    t.received(P2, 0, 1);
    t.received(P3, 1, 0);
    t.received(P3, 1, 1);
    t.received(P2, 2, 0);
    t.received(P3, 2, 1);

    // WHEN pieces 0 and 2 fail their hash check
    BlockAccounting.FailedPiece whole = t.pieceFailed(0);
    BlockAccounting.FailedPiece mixed = t.pieceFailed(2);

    // THEN each says who sent what; the bad peer's blocks are discarded, the honest peer's half of
    // piece 2 as well (libtorrent throws the whole piece away)
    assertThat(whole.fromPeers()).containsExactly(Map.entry(P2, 2L * BLOCK));
    assertThat(whole.bytes()).isEqualTo(2L * BLOCK);
    assertThat(mixed.fromPeers()).containsExactly(Map.entry(P2, (long) BLOCK), Map.entry(P3, BLOCK / 2L));
    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(P3, 2L * BLOCK));
    assertThat(t.discardedSnapshot()).containsExactly(Map.entry(P2, 3L * BLOCK), Map.entry(P3, BLOCK / 2L));
    assertThat(t.discardedFrom("10.0.0.2")).isEqualTo(3L * BLOCK);

    // WHEN the honest peer sends pieces 0 and 2 again
    t.received(P3, 0, 0);
    t.received(P3, 0, 1);
    t.received(P3, 2, 0);
    t.received(P3, 2, 1);

    // THEN the counts add up to the torrent, all of it the honest peer's
    assertThat(t.reconcile()).isZero();
    assertThat(t.receivedSnapshot()).containsExactly(Map.entry(P3, TOTAL));
  }

  @Test
  void aPieceIsPinnedOnAnAddressOnlyWhenEveryBlockCameFromIt() {
    PeerSource.Peer samePlaceOtherPort = new PeerSource.Peer("10.0.0.2", 7000);
    PeerSource.Peer webEndpoint = new PeerSource.Peer("10.0.0.9", 80);
    BlockAccounting t = torrent();
    t.countAsWebSeed(webEndpoint, new PeerSource.WebSeed("http://10.0.0.9/seed/"));
    // two ports of one address: that address
    t.received(P2, 0, 0);
    t.received(samePlaceOtherPort, 0, 1);
    // two addresses: nobody (libtorrent's smart ban sorts it out once the piece passes)
    t.received(P2, 1, 0);
    t.received(P3, 1, 1);
    // a web seed's block in it: nobody
    t.received(P2, 2, 0);
    t.received(webEndpoint, 2, 1);

    assertThat(PeerBans.culprit(t.pieceFailed(0))).contains("10.0.0.2");
    assertThat(PeerBans.culprit(t.pieceFailed(1))).isEmpty();
    BlockAccounting.FailedPiece withWebSeed = t.pieceFailed(2);
    assertThat(withWebSeed.fromWebSeeds()).isEqualTo(BLOCK / 2);
    assertThat(PeerBans.culprit(withWebSeed)).isEmpty();
  }

  @Test
  void aPieceWithABlockNoAlertNamedIsPinnedOnNobody() {
    // GIVEN a piece of which one block was reported (the other was on disk, or its alert never came)
    BlockAccounting t = torrent();
    t.received(P2, 0, 0);
    BlockAccounting.FailedPiece failed = t.pieceFailed(0);
    assertThat(failed.unattributed()).isEqualTo(BLOCK);
    assertThat(PeerBans.culprit(failed)).isEmpty();
    // AND a piece nobody delivered fails without touching any count
    assertThat(t.pieceFailed(1).bytes()).isEqualTo(2L * BLOCK);
    assertThat(t.receivedSnapshot()).isEmpty();
    assertThat(t.discardedSnapshot()).containsExactly(Map.entry(P2, (long) BLOCK));
  }
}
