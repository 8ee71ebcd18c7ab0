package io.boottorrent.swarm;

import io.boottorrent.core.PeerSource;
import io.boottorrent.swarm.SwarmSession.Torrent;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.libtorrent4j.AlertListener;
import org.libtorrent4j.TcpEndpoint;
import org.libtorrent4j.TorrentHandle;
import org.libtorrent4j.alerts.Alert;
import org.libtorrent4j.alerts.AlertType;
import org.libtorrent4j.alerts.AlertsDroppedAlert;
import org.libtorrent4j.alerts.BlockDownloadingAlert;
import org.libtorrent4j.alerts.BlockFinishedAlert;
import org.libtorrent4j.alerts.CloseReason;
import org.libtorrent4j.alerts.FileErrorAlert;
import org.libtorrent4j.alerts.HashFailedAlert;
import org.libtorrent4j.alerts.ListenFailedAlert;
import org.libtorrent4j.alerts.ListenSucceededAlert;
import org.libtorrent4j.alerts.PeerBanAlert;
import org.libtorrent4j.alerts.PeerBlockedAlert;
import org.libtorrent4j.alerts.PeerDisconnectedAlert;
import org.libtorrent4j.alerts.PieceFinishedAlert;
import org.libtorrent4j.alerts.SocketType;
import org.libtorrent4j.alerts.StateChangedAlert;
import org.libtorrent4j.alerts.TorrentAlert;
import org.libtorrent4j.alerts.TorrentDeleteFailedAlert;
import org.libtorrent4j.alerts.TorrentDeletedAlert;
import org.libtorrent4j.alerts.TorrentErrorAlert;
import org.libtorrent4j.alerts.TorrentRemovedAlert;
import org.libtorrent4j.alerts.TrackerErrorAlert;
import org.libtorrent4j.alerts.UrlSeedAlert;
import org.libtorrent4j.swig.libtorrent_errors;
import org.libtorrent4j.swig.peer_info;
import org.libtorrent4j.swig.peer_info_vector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SwarmSession}'s alert listener: runs on libtorrent4j's alert thread and routes each alert
 * to where it belongs — the listen outcome to the session's {@code listening} future, delivered
 * blocks and failed pieces to the torrent's {@link BlockAccounting}, completion, errors and removal
 * to the torrent's futures, evidence of corrupt data to {@link PeerBans} and the session's {@link
 * Banner}, the rest to the log. Shares the session's torrent maps (concurrent); a failure handling
 * one alert is logged, never thrown back into libtorrent4j.
 */
final class AlertRouter implements AlertListener {
  // The facade's logger: these lines are SwarmSession's, whichever class writes them.
  private static final Logger LOG = LoggerFactory.getLogger(SwarmSession.class);
  /** Upper bound on waiting for the flush that lets finished() account for the last blocks. */
  private static final long FINISH_GRACE_MS = 2_000;

  private final Vertx vertx;
  private final String name;
  private final Map<String, Torrent> torrents;
  private final Map<String, Torrent> deleting;
  private final CompletableFuture<Void> listening;
  private final PeerBans bans;
  private final Banner banner;

  /** Bans an address in the session (every port), once {@link PeerBans} says so. */
  interface Banner {
    void ban(Torrent t, String ip, String reason);
  }

  /**
   * @param torrents the session's torrents by info-hash
   * @param deleting torrents removed with deleteFiles, waiting for torrent_deleted
   * @param listening completed once the session listens on TCP, failed if it cannot
   * @param bans the session's bans
   * @param banner what bans an address
   */
  AlertRouter(Vertx vertx, String name, Map<String, Torrent> torrents, Map<String, Torrent> deleting,
      CompletableFuture<Void> listening, PeerBans bans, Banner banner) {
    this.bans = bans;
    this.banner = banner;
    this.vertx = vertx;
    this.name = name;
    this.torrents = torrents;
    this.deleting = deleting;
    this.listening = listening;
  }

  @Override
  public int[] types() {
    return AlertTypes.TYPES;
  }

  @Override
  public void alert(Alert<?> alert) {
    try {
      handle(alert);
    } catch (RuntimeException e) {
      LOG.warn("[{}] error handling {}: {}", name, alert.type(), e.toString());
    }
  }

  private void handle(Alert<?> alert) {
    switch (alert.type()) {
      case BLOCK_FINISHED -> {
        BlockFinishedAlert a = (BlockFinishedAlert) alert;
        Torrent t = torrentOf(a);
        if (t != null) {
          t.blocks.received(peerOf(a.endpoint()), a.pieceIndex(), a.blockIndex());
        }
      }
      case BLOCK_DOWNLOADING -> {
        BlockDownloadingAlert a = (BlockDownloadingAlert) alert;
        Torrent t = torrentOf(a);
        if (t != null) {
          t.blocks.requested(peerOf(a.endpoint()), a.pieceIndex(), a.blockIndex());
        }
      }
      case LISTEN_SUCCEEDED -> {
        ListenSucceededAlert a = (ListenSucceededAlert) alert;
        if (a.socketType() == SocketType.TCP) {
          listening.complete(null);
        }
      }
      case LISTEN_FAILED -> {
        ListenFailedAlert a = (ListenFailedAlert) alert;
        LOG.warn("[{}] cannot listen on {}:{}: {}", name, a.address(), a.port(), a.error().getMessage());
        listening.completeExceptionally(new IllegalStateException(a.error().getMessage()));
      }
      case STATE_CHANGED -> {
        StateChangedAlert a = (StateChangedAlert) alert;
        Torrent t = torrentOf(a);
        if (t != null) {
          LOG.debug("[{}] {}: {} -> {}", name, t.name, a.getPrevState(), a.getState());
          if (a.getState() == org.libtorrent4j.TorrentStatus.State.SEEDING
              || a.getState() == org.libtorrent4j.TorrentStatus.State.FINISHED) {
            drain(t, a.handle());
          }
        }
      }
      case TORRENT_FINISHED -> {
        Torrent t = torrentOf((TorrentAlert<?>) alert);
        if (t != null) {
          drain(t, ((TorrentAlert<?>) alert).handle());
        }
      }
      case CACHE_FLUSHED -> {
        Torrent t = torrentOf((TorrentAlert<?>) alert);
        if (t != null && t.draining) {
          complete(t);
        }
      }
      case TORRENT_ERROR -> {
        TorrentErrorAlert a = (TorrentErrorAlert) alert;
        Torrent t = torrentOf(a);
        String reason = diskFull(t, a.error().getMessage())
            + (a.filename().isEmpty() ? "" : " (" + a.filename() + ")");
        LOG.error("[{}] {} stopped: {}", name, a.torrentName(), reason);
        if (t != null) {
          t.finished.completeExceptionally(new IllegalStateException("torrent " + t.name + " failed: " + reason));
        }
      }
      case FILE_ERROR -> {
        FileErrorAlert a = (FileErrorAlert) alert;
        LOG.error("[{}] {}: file error on {} ({}): {}", name, a.torrentName(), a.filename(),
            a.operation(), a.error().getMessage());
      }
      case PIECE_FINISHED -> {
        PieceFinishedAlert a = (PieceFinishedAlert) alert;
        Torrent t = torrentOf(a);
        if (t != null && t.streaming != null && t.streaming.pieceFinished(a.pieceIndex())) {
          drain(t, a.handle()); // the last piece: no state change may follow (see drain)
        }
      }
      case HASH_FAILED -> {
        HashFailedAlert a = (HashFailedAlert) alert;
        Torrent t = torrentOf(a);
        if (t != null && t.streaming != null) {
          t.streaming.hashFailed(a.pieceIndex());
        }
        if (t == null) {
          LOG.warn("[{}] {}: piece {} failed its hash check", name, a.torrentName(), a.pieceIndex());
          return;
        }
        BlockAccounting.FailedPiece failed = t.blocks.pieceFailed(a.pieceIndex());
        bans.pieceFailed(failed);
        LOG.warn("[{}] {}: piece {} failed its hash check, {} bytes discarded (from peers {}, web seeds {} B, "
            + "unattributed {} B)", name, t.name, a.pieceIndex(), failed.bytes(), failed.fromPeers(),
            failed.fromWebSeeds(), failed.unattributed());
        PeerBans.culprit(failed).ifPresent(ip -> banner.ban(t, ip, "piece " + a.pieceIndex()
            + " failed its hash check and all " + failed.bytes() + " bytes of it came from " + ip));
      }
      case PEER_BAN -> {
        PeerBanAlert a = (PeerBanAlert) alert;
        PeerSource.Peer endpoint = peerOf(a.endpoint());
        boolean lone = bans.loneSender(endpoint);
        bans.libtorrentBanned(endpoint);
        LOG.info("[{}] {}: libtorrent banned {} (corrupt pieces{})", name, a.torrentName(), endpoint.key(),
            lone ? ", a failed piece from it alone" : ", trust points");
        Torrent t = torrentOf(a);
        if (t != null && lone && !t.blocks.isWebSeed(endpoint)) {
          banner.ban(t, endpoint.ip(), "a piece that failed its hash check came from " + endpoint.key()
              + " alone (libtorrent's verdict)");
        }
      }
      case PEER_DISCONNECTED -> {
        PeerDisconnectedAlert a = (PeerDisconnectedAlert) alert;
        // the smart-ban plugin's ban: a disconnect with peer_banned and no peer_ban_alert (see PeerBans)
        if (a.error().getValue() == libtorrent_errors.peer_banned.swigValue()
            && a.reason() == CloseReason.BLOCKED) {
          PeerSource.Peer endpoint = peerOf(a.endpoint());
          Torrent t = torrentOf(a);
          if (t != null && !t.blocks.isWebSeed(endpoint) && bans.smartBan(endpoint)) {
            banner.ban(t, endpoint.ip(), endpoint.key() + " sent a block that differs from the one that passed "
                + "the hash check (libtorrent's smart ban)");
          }
        }
      }
      case PEER_BLOCKED -> {
        PeerBlockedAlert a = (PeerBlockedAlert) alert;
        if (a.reason() == PeerBlockedAlert.Reason.IP_FILTER) {
          PeerSource.Peer endpoint = peerOf(new TcpEndpoint(a.swig().get_endpoint()));
          bans.refused(endpoint.ip());
          LOG.debug("[{}] refused {}: banned address", name, endpoint.key());
        }
      }
      case TORRENT_REMOVED -> {
        TorrentRemovedAlert a = (TorrentRemovedAlert) alert;
        String hash = a.getInfoHashes().getV1().toHex();
        Torrent t = torrents.get(hash);
        if (t != null && t.removal != null && torrents.remove(hash, t)) {
          LOG.info("[{}] removed {} {}", name, t.name, hash);
          t.finished.completeExceptionally(new IllegalStateException("torrent " + t.name + " was removed"));
          if (t.streaming != null) {
            t.streaming.failAll(new IllegalStateException("torrent " + t.name + " was removed"));
          }
          if (t.removal != null && !t.deleteFiles) {
            t.removal.complete(null);
          }
          if (t.deleteFiles) {
            deleting.put(hash, t);
          }
        }
      }
      case TORRENT_DELETED -> {
        String hash = ((TorrentDeletedAlert) alert).getInfoHashes().getV1().toHex();
        Torrent t = deleting.remove(hash);
        if (t != null && t.removal != null) {
          LOG.info("[{}] deleted the files of {}", name, t.name);
          t.removal.complete(null);
        }
      }
      case TORRENT_DELETE_FAILED -> {
        TorrentDeleteFailedAlert a = (TorrentDeleteFailedAlert) alert;
        Torrent t = deleting.remove(a.getInfoHashes().getV1().toHex());
        LOG.warn("[{}] cannot delete the files of {}: {}", name, a.torrentName(), a.getError().getMessage());
        if (t != null && t.removal != null) {
          t.removal.completeExceptionally(new IllegalStateException(
              "cannot delete the files of " + t.name + ": " + a.getError().getMessage()));
        }
      }
      case URL_SEED -> {
        UrlSeedAlert a = (UrlSeedAlert) alert;
        LOG.warn("[{}] {}: web seed {} failed: {}", name, a.torrentName(), a.serverUrl(),
            a.errorMessage().isEmpty() ? a.error().getMessage() : a.errorMessage());
      }
      case TRACKER_ERROR -> {
        TrackerErrorAlert a = (TrackerErrorAlert) alert;
        LOG.debug("[{}] {}: tracker error: {}", name, a.torrentName(), a.message());
      }
      case ALERTS_DROPPED -> LOG.warn("[{}] libtorrent dropped alerts (queue full): {}", name,
          ((AlertsDroppedAlert) alert).message());
      default -> {
        // not subscribed
      }
    }
  }

  /**
   * The torrent has every piece. libtorrent may hash a piece before the write of its last block has
   * completed, and posts that block's block_finished alert only then — after torrent_finished. So
   * {@code finished} completes once a flush (a fence behind every pending write of the torrent) has
   * come back, when {@link SwarmSession#bytesFromPeers} has counted every block; or after a grace
   * period.
   */
  private void drain(Torrent t, TorrentHandle handle) {
    if (t.finished.isDone() || t.draining) {
      return;
    }
    // A streaming torrent holding its background back is "finished" with every wanted piece: not done
    // until it has every piece. Not only once it seeds: pieces requested before the hold (a web seed's
    // ranges) or read while it lasts arrive while libtorrent calls the torrent finished, and then it
    // never moves on to seeding (the agent waited forever for StreamingVerifyFailureTest's image).
    if (t.streaming != null && !t.streaming.hasEveryPiece() && !handle.status().isSeeding()) {
      return;
    }
    t.draining = true;
    try {
      if (t.blocks.nothingReported()) {
        topPeer(handle).ifPresent(t.blocks::topPeer);
      }
      handle.flushCache();
      vertx.setTimer(FINISH_GRACE_MS, id -> complete(t));
    } catch (RuntimeException e) {
      complete(t);
    }
  }

  private void complete(Torrent t) {
    if (t.finished.isDone()) {
      return;
    }
    int reconciled = t.blocks.reconcile();
    if (reconciled > 0) {
      LOG.debug("[{}] {}: {} finished block(s) had no block_finished alert, counted for their piece's source",
          name, t.name, reconciled);
    }
    if (t.finished.complete(null)) {
      LOG.info("[{}] {} complete ({} bytes), seeding", name, t.name, t.totalSize);
    }
  }

  /** The connected peer (or web seed) that delivered the most payload, from libtorrent's peer list. */
  private static Optional<PeerSource.Peer> topPeer(TorrentHandle handle) {
    peer_info_vector peers = new peer_info_vector();
    handle.swig().get_peer_info(peers);
    PeerSource.Peer best = null;
    long most = 0;
    for (int i = 0; i < peers.size(); i++) {
      peer_info peer = peers.get(i);
      if (peer.getTotal_download() > most) {
        most = peer.getTotal_download();
        best = peerOf(new TcpEndpoint(peer.getIp()));
      }
    }
    return Optional.ofNullable(best);
  }

  private Torrent torrentOf(TorrentAlert<?> alert) {
    try {
      return torrents.get(alert.handle().infoHash().toHex());
    } catch (RuntimeException invalidHandle) {
      return null;
    }
  }

  /** A connection's remote endpoint, as {@link BlockAccounting} counts it. */
  static PeerSource.Peer peerOf(TcpEndpoint endpoint) {
    return new PeerSource.Peer(endpoint.address().toString(), endpoint.port());
  }

  /**
   * Touching AlertType loads the native library, so the list lives in a holder initialised on first
   * use (after {@link Libtorrent#ensureLoaded()}), not when this class initialises.
   */
  private static final class AlertTypes {
    static final int[] TYPES = {
        AlertType.LISTEN_SUCCEEDED.swig(), AlertType.LISTEN_FAILED.swig(),
        AlertType.STATE_CHANGED.swig(), AlertType.TORRENT_FINISHED.swig(), AlertType.CACHE_FLUSHED.swig(),
        AlertType.TORRENT_ERROR.swig(), AlertType.FILE_ERROR.swig(), AlertType.HASH_FAILED.swig(),
        AlertType.TORRENT_REMOVED.swig(), AlertType.TORRENT_DELETED.swig(), AlertType.TORRENT_DELETE_FAILED.swig(),
        AlertType.BLOCK_FINISHED.swig(), AlertType.BLOCK_DOWNLOADING.swig(), AlertType.URL_SEED.swig(),
        AlertType.TRACKER_ERROR.swig(),
        AlertType.ALERTS_DROPPED.swig(), AlertType.PEER_BAN.swig(), AlertType.PEER_DISCONNECTED.swig(),
        AlertType.PEER_BLOCKED.swig(), AlertType.PIECE_FINISHED.swig()};
  }

  /**
   * A write to a full disk, as libtorrent reports it: ENOSPC, or EFAULT ("Bad address": its memory-mapped
   * storage touching a page the file system has no room for). Said as what it is, with the free space
   * where the torrent is saved; any other error as libtorrent said it.
   */
  static String diskFull(Torrent t, String error) {
    if (t == null || t.savePath == null || !(error.equals("Bad address") || error.equals("No space left on device"))) {
      return error;
    }
    try {
      long free = java.nio.file.Files.getFileStore(t.savePath).getUsableSpace();
      if (free >= t.totalSize) {
        return error;
      }
      return "No space left on device: " + free + " bytes free where " + t.name + " is saved, it has " + t.totalSize
          + " bytes (libtorrent: " + error + ")";
    } catch (java.io.IOException | RuntimeException e) {
      return error;
    }
  }
}
