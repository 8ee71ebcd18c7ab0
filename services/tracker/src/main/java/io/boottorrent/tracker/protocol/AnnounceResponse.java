package io.boottorrent.tracker.protocol;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A successful announce answer (BEP 3): when to come back, swarm counts and some peers.
 *
 * @param interval seconds the client should wait before its next regular announce
 * @param minInterval seconds it must wait at least ({@code min interval})
 * @param complete seeders in the swarm
 * @param incomplete leechers in the swarm
 * @param warning a {@code warning message} the client shows but otherwise ignores
 */
public record AnnounceResponse(
    int interval, int minInterval, int complete, int incomplete, List<Peer> peers, Optional<String> warning) {

  public AnnounceResponse {
    peers = List.copyOf(peers);
  }

  public byte[] encode(PeerFormat format) {
    BDict.Builder dict = BDict.builder()
        .put("interval", interval)
        .put("min interval", minInterval)
        .put("complete", complete)
        .put("incomplete", incomplete);
    warning.ifPresent(text -> dict.put("warning message", text));
    if (format == PeerFormat.COMPACT) {
      ByteArrayOutputStream v4 = new ByteArrayOutputStream();
      ByteArrayOutputStream v6 = new ByteArrayOutputStream();
      for (Peer peer : peers) {
        ByteArrayOutputStream out = peer.address() instanceof Inet4Address ? v4 : v6;
        out.writeBytes(peer.address().getAddress());
        out.write(peer.port() >> 8);
        out.write(peer.port());
      }
      dict.put("peers", v4.toByteArray());
      if (v6.size() > 0) {
        dict.put("peers6", v6.toByteArray());
      }
    } else {
      List<BValue> list = new ArrayList<>();
      for (Peer peer : peers) {
        BDict.Builder entry = BDict.builder()
            .put("ip", peer.address().getHostAddress())
            .put("port", peer.port());
        if (format == PeerFormat.DICT) {
          entry.put("peer id", peer.peerId().bytes());
        }
        list.add(entry.build());
      }
      dict.put("peers", new BList(list));
    }
    return Bencode.encode(dict.build());
  }
}
