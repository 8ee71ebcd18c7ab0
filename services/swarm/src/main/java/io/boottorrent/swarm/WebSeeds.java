package io.boottorrent.swarm;

import io.boottorrent.core.PeerSource;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.libtorrent4j.Address;
import org.libtorrent4j.TorrentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BEP 19 web seeds of a torrent: the URL libtorrent is given for one ({@link #requestUrl}), and the
 * endpoints whose blocks count as the web seed's ({@link #register}). Uses libtorrent4j's native
 * code and, for host names, DNS: call on a worker.
 */
final class WebSeeds {
  // The facade's logger: these lines are SwarmSession's, whichever class writes them.
  private static final Logger LOG = LoggerFactory.getLogger(SwarmSession.class);

  private WebSeeds() {}

  /**
   * The path ("name/file") of a torrent holding one file inside its folder (a multi-file torrent with
   * a single entry, what {@link TorrentFactory} makes of a one-file image), else null.
   */
  static String oneFileInFolder(TorrentInfo info) {
    if (info.numFiles() != 1) {
      return null;
    }
    String path = info.files().filePath(0).replace('\\', '/');
    return path.contains("/") ? path : null;
  }

  /**
   * The URL to give libtorrent for a BEP 19 web seed. libtorrent 2.0.6 treats a multi-file torrent
   * with a single file as a single-file torrent and requests {@code <url><name>} instead of
   * {@code <url><name>/<file>} (arvidn/libtorrent#3519, fixed upstream only after 2.0.6): for such
   * torrents a directory URL becomes the file's URL, which libtorrent then requests as is.
   */
  static String requestUrl(String url, String oneFilePath) {
    if (oneFilePath == null || !url.endsWith("/")) {
      return url;
    }
    StringBuilder out = new StringBuilder(url);
    String[] segments = oneFilePath.split("/");
    for (int i = 0; i < segments.length; i++) {
      out.append(i == 0 ? "" : "/").append(escapeSegment(segments[i]));
    }
    return out.toString();
  }

  private static String escapeSegment(String segment) {
    StringBuilder out = new StringBuilder();
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  /**
   * Every address of the web seed's host with the URL's port (80/443 by default), spelled as
   * libtorrent spells a connection's endpoint.
   *
   * @throws IllegalArgumentException for a malformed URL
   */
  static List<PeerSource.Peer> endpoints(String url) throws UnknownHostException {
    URI uri = URI.create(url);
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    List<PeerSource.Peer> endpoints = new ArrayList<>();
    for (InetAddress address : InetAddress.getAllByName(uri.getHost())) {
      endpoints.add(new PeerSource.Peer(Address.parseIp(address.getHostAddress()).toString(), port));
    }
    return endpoints;
  }

  /** Maps every address of the web seed's host to the web seed so its blocks are counted under the URL. */
  static void register(String session, SwarmSession.Torrent t, String url) {
    try {
      PeerSource.WebSeed seed = new PeerSource.WebSeed(url);
      for (PeerSource.Peer endpoint : endpoints(url)) {
        t.blocks.countAsWebSeed(endpoint, seed);
      }
    } catch (UnknownHostException | IllegalArgumentException e) {
      LOG.warn("[{}] {}: cannot resolve web seed {} ({}); its bytes are counted under its address",
          session, t.name, url, e.getMessage());
    }
  }
}
