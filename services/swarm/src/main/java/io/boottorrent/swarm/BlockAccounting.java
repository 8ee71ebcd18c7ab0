package io.boottorrent.swarm;

import io.boottorrent.core.PeerSource;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Payload bytes of one torrent per source, for {@link SwarmSession#bytesFromPeers}. Pure Java: fed
 * from libtorrent's alert thread, read from any thread.
 *
 * <p>Every block a peer delivered is counted (block_finished alerts), so nothing is lost when a
 * connection closes between two samples, and reconnections from the same endpoint simply add up. A
 * block libtorrent never reports (see {@link #reconcile}) is counted, once the torrent is finished,
 * for its piece's source. A peer is known by the connection's remote endpoint ({@link
 * PeerSource.Peer}, the peer's listen port for connections the session opened); the endpoints of a
 * web seed ({@link #countAsWebSeed}) are counted under the web seed ({@link PeerSource.WebSeed}).
 *
 * <p>Only blocks of pieces that pass their hash check stay counted: when a piece fails ({@link
 * #pieceFailed}), the bytes of its blocks are taken off the sources that delivered them and kept as
 * discarded ({@link #discardedSnapshot}), so a peer that serves corrupt data is not credited with it,
 * and the counts still add up to the torrent's size once it is complete.
 */
final class BlockAccounting {
  /** libtorrent's request size: every block is this long except the tail of a piece. */
  static final int BLOCK_SIZE = 16 * 1024;

  private final int pieceLength;
  private final int numPieces;
  private final long totalSize;
  private final int blocksPerPiece;
  /** Written under this, read lock-free by {@link #receivedSnapshot}. */
  private final Map<PeerSource, AtomicLong> received = new ConcurrentHashMap<>();
  private final Map<PeerSource.Peer, PeerSource.WebSeed> webSeedByEndpoint = new ConcurrentHashMap<>();
  /** Blocks counted in {@link #received}, guarded by this. */
  private final BitSet counted;
  /** Per piece, the last source that delivered one of its blocks, guarded by this. */
  private final PeerSource[] pieceSource;
  /** Per block, the endpoint that delivered it and the source it is counted for; guarded by this. */
  private final PeerSource.Peer[] blockEndpoint;
  private final PeerSource[] blockSource;
  /**
   * Per block, the endpoint it was last requested from (block_downloading alerts), guarded by this:
   * who delivered a block whose block_finished alert never came, when nothing else says so. Taken
   * when libtorrent posts the request, so, unlike its peer list at completion (a seed drops its
   * connection to a new seed at once), it does not race the end of the download.
   */
  private final PeerSource.Peer[] requestedFrom;
  /** Bytes of failed pieces, per source that delivered them. Written under this. */
  private final Map<PeerSource, AtomicLong> discarded = new ConcurrentHashMap<>();
  /** The source of the last block counted, guarded by this. */
  private PeerSource lastSource;
  /** No file of the torrent existed when it was added: every piece is downloaded here. Guarded by this. */
  private boolean nothingOnDisk;
  /**
   * Who libtorrent says delivered the most payload, taken when the torrent finished: the source of
   * last resort when not one block was reported (a one-block image whose only alert never came).
   * Guarded by this.
   */
  private PeerSource.Peer topPeer;

  BlockAccounting(int pieceLength, int numPieces, long totalSize) {
    this.pieceLength = pieceLength;
    this.numPieces = numPieces;
    this.totalSize = totalSize;
    this.blocksPerPiece = Math.max(1, (pieceLength + BLOCK_SIZE - 1) / BLOCK_SIZE);
    this.counted = new BitSet(numPieces * blocksPerPiece);
    this.pieceSource = new PeerSource[numPieces];
    this.blockEndpoint = new PeerSource.Peer[numPieces * blocksPerPiece];
    this.blockSource = new PeerSource[numPieces * blocksPerPiece];
    this.requestedFrom = new PeerSource.Peer[numPieces * blocksPerPiece];
  }

  /** Block {@code block} of {@code piece} was requested from {@code endpoint}. */
  synchronized void requested(PeerSource.Peer endpoint, int piece, int block) {
    int index = blockIndex(piece, block);
    if (index >= 0) {
      requestedFrom[index] = endpoint;
    }
  }

  /**
   * The blocks of a piece that failed its hash check, by who delivered them: peers by endpoint
   * ({@code fromPeers}), web seeds together ({@code fromWebSeeds}), and the bytes no alert named
   * ({@code unattributed}: found on disk, or a block whose alert never came).
   */
  record FailedPiece(int piece, Map<PeerSource.Peer, Long> fromPeers, long fromWebSeeds, long unattributed) {
    /** The one address that delivered every block of the piece, if there is one (no web seed, nothing unnamed). */
    Optional<String> soleAddress() {
      if (fromWebSeeds > 0 || unattributed > 0 || fromPeers.isEmpty()) {
        return Optional.empty();
      }
      Set<String> ips = new HashSet<>();
      fromPeers.keySet().forEach(p -> ips.add(p.ip()));
      return ips.size() == 1 ? Optional.of(ips.iterator().next()) : Optional.empty();
    }

    long bytes() {
      return fromPeers.values().stream().mapToLong(Long::longValue).sum() + fromWebSeeds + unattributed;
    }
  }

  /** Blocks from {@code endpoint} are counted for {@code seed}; the first web seed of an endpoint wins. */
  void countAsWebSeed(PeerSource.Peer endpoint, PeerSource.WebSeed seed) {
    webSeedByEndpoint.putIfAbsent(endpoint, seed);
  }

  /** Whether blocks from {@code endpoint} count as a web seed's. */
  boolean isWebSeed(PeerSource.Peer endpoint) {
    return webSeedByEndpoint.containsKey(endpoint);
  }

  int blockLength(int piece, int block) {
    long pieceSize = piece == numPieces - 1 ? totalSize - (long) piece * pieceLength : pieceLength;
    long offset = (long) block * BLOCK_SIZE;
    return (int) Math.max(0, Math.min(BLOCK_SIZE, pieceSize - offset));
  }

  /**
   * A block delivered by {@code endpoint} was written. A block already counted (by
   * {@link #reconcile}) is not counted twice; a piece that failed its hash check is downloaded
   * again and counted again.
   */
  synchronized void received(PeerSource.Peer endpoint, int piece, int block) {
    int index = blockIndex(piece, block);
    if (index < 0 || counted.get(index)) {
      return;
    }
    counted.set(index);
    PeerSource webSeed = webSeedByEndpoint.get(endpoint);
    PeerSource source = webSeed != null ? webSeed : endpoint;
    pieceSource[piece] = source;
    blockEndpoint[index] = endpoint;
    blockSource[index] = source;
    lastSource = source;
    received.computeIfAbsent(source, k -> new AtomicLong()).addAndGet(blockLength(piece, block));
  }

  /**
   * A piece failed its hash check: libtorrent discards it and downloads it again. Its blocks are no
   * longer counted for the sources that delivered them (their bytes move to {@link
   * #discardedSnapshot}); returns who delivered what.
   */
  synchronized FailedPiece pieceFailed(int piece) {
    int first = blockIndex(piece, 0);
    if (first < 0) {
      return new FailedPiece(piece, Map.of(), 0, 0);
    }
    Map<PeerSource.Peer, Long> fromPeers = new TreeMap<>();
    long fromWebSeeds = 0;
    long unattributed = 0;
    for (int block = 0; block < blocksPerPiece && blockLength(piece, block) > 0; block++) {
      int index = first + block;
      long length = blockLength(piece, block);
      PeerSource source = blockSource[index];
      if (!counted.get(index) || source == null) {
        unattributed += length;
      } else {
        received.get(source).addAndGet(-length);
        discarded.computeIfAbsent(source, k -> new AtomicLong()).addAndGet(length);
        if (source.isWebSeed()) {
          fromWebSeeds += length;
        } else {
          PeerSource.Peer from = blockEndpoint[index] != null ? blockEndpoint[index] : (PeerSource.Peer) source;
          fromPeers.merge(from, length, Long::sum);
        }
      }
      blockEndpoint[index] = null;
      blockSource[index] = null;
    }
    counted.clear(first, first + blocksPerPiece);
    pieceSource[piece] = null;
    return new FailedPiece(piece, fromPeers, fromWebSeeds, unattributed);
  }

  /** Bytes of failed pieces delivered by the peers at {@code ip} (any port). */
  long discardedFrom(String ip) {
    long sum = 0;
    for (Map.Entry<PeerSource, AtomicLong> e : discarded.entrySet()) {
      if (e.getKey() instanceof PeerSource.Peer p && p.ip().equals(ip)) {
        sum += e.getValue().get();
      }
    }
    return sum;
  }

  /** Bytes of failed pieces per source that delivered them, sorted by {@link PeerSource#key()}. */
  Map<PeerSource, Long> discardedSnapshot() {
    Map<PeerSource, Long> copy = new TreeMap<>();
    discarded.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  /** Whether no block has been reported at all (so {@link #reconcile} would need {@link #topPeer}). */
  synchronized boolean nothingReported() {
    return lastSource == null;
  }

  /** The endpoint libtorrent's peer list credits with the most payload when the torrent finished. */
  synchronized void topPeer(PeerSource.Peer endpoint) {
    topPeer = endpoint;
  }

  /** None of the torrent's files existed when it was added. */
  synchronized void nothingOnDisk() {
    nothingOnDisk = true;
  }

  /**
   * Now and then libtorrent never posts the block_finished alert of a download's last block (a
   * CI run: one block of 199 from a lone web seed, still missing after the flush; its write can
   * complete after the torrent is already a seed). At completion every block that was not on
   * disk when the download started and was never reported is counted for the source of the rest
   * of its piece, else for the peer its first block was requested from ({@link #requested}), else
   * for the last source of the torrent, or — when not one block was reported — for the peer
   * libtorrent's peer list credits with the most payload ({@link #topPeer}), so the counts add up to what was downloaded. When files existed before (a
   * resumed download), only pieces with a reported block are completed. Returns the number of blocks
   * counted here.
   */
  synchronized int reconcile() {
    PeerSource lastResort = lastSource;
    if (lastResort == null && topPeer != null) {
      lastResort = webSeedByEndpoint.containsKey(topPeer) ? webSeedByEndpoint.get(topPeer) : topPeer;
    }
    int added = 0;
    for (int piece = 0; piece < numPieces; piece++) {
      PeerSource source = pieceSource[piece];
      if (source == null) {
        PeerSource.Peer asked = requestedFrom[blockIndex(piece, 0)];
        PeerSource fallback = asked == null ? lastResort
            : webSeedByEndpoint.containsKey(asked) ? webSeedByEndpoint.get(asked) : asked;
        if (!nothingOnDisk || fallback == null) {
          continue;
        }
        source = fallback;
        pieceSource[piece] = source;
      }
      int first = blockIndex(piece, 0);
      for (int block = 0; block < blocksPerPiece && blockLength(piece, block) > 0; block++) {
        if (!counted.get(first + block)) {
          counted.set(first + block);
          blockSource[first + block] = source;
          received.computeIfAbsent(source, k -> new AtomicLong()).addAndGet(blockLength(piece, block));
          added++;
        }
      }
    }
    return added;
  }

  private int blockIndex(int piece, int block) {
    if (piece < 0 || piece >= numPieces || block < 0 || block >= blocksPerPiece) {
      return -1;
    }
    return piece * blocksPerPiece + block;
  }

  /**
   * The counts so far, sorted by {@link PeerSource#key()}; a source all of whose blocks were
   * discarded is left out.
   */
  Map<PeerSource, Long> receivedSnapshot() {
    Map<PeerSource, Long> copy = new TreeMap<>();
    received.forEach((k, v) -> {
      long bytes = v.get();
      if (bytes > 0) {
        copy.put(k, bytes);
      }
    });
    return copy;
  }
}
