package io.boottorrent.swarm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.libtorrent4j.TorrentBuilder;
import org.libtorrent4j.TorrentInfo;

/**
 * Builds .torrent files for catalog images with libtorrent's {@link TorrentBuilder}. Blocking: it
 * hashes every byte of the image, so call it from a worker thread.
 *
 * <p>Torrents are v1-only (no BEP 52 hybrid): every Debian BitTorrent client and the BEP 19 web seed
 * then see the same plain file layout without pad files.
 *
 * <p>A folder always becomes a multi-file torrent, even with a single file in it, so a web seed is
 * always a directory URL ({@code http://host/seed/}, the client appends {@code <name>/<file>}).
 * libtorrent 2.0.6 mishandles the one-file case; {@link SwarmSession} works around it when adding.
 */
public final class TorrentFactory {
  public static final int MIN_PIECE = 16 * 1024;
  public static final int MAX_PIECE = 4 * 1024 * 1024;
  /** Aim for about this many pieces: enough to spread work among peers, few enough for small metadata. */
  public static final long TARGET_PIECES = 1024;

  private TorrentFactory() {}

  /** The bencoded torrent and its v1 info-hash (40 lowercase hex). */
  public record Created(byte[] torrent, String infoHash, int pieceLength, int pieces, long totalSize) {}

  /** Piece length for a payload of {@code totalSize} bytes: a power of two, 16 KiB … 4 MiB. */
  public static int pieceLengthFor(long totalSize) {
    long piece = MIN_PIECE;
    while (piece < MAX_PIECE && totalSize / piece > TARGET_PIECES) {
      piece *= 2;
    }
    return (int) piece;
  }

  /**
   * Creates a torrent of {@code root}: a folder becomes a multi-file torrent named after it, a file a
   * single-file torrent. {@code pieceLength} 0 picks {@link #pieceLengthFor}.
   */
  public static Created create(Path root, List<String> trackers, List<String> webSeeds, int pieceLength)
      throws IOException {
    Libtorrent.ensureLoaded();
    if (!Files.exists(root)) {
      throw new IOException("no such file or folder: " + root);
    }
    long total = size(root);
    if (total == 0) {
      throw new IOException("nothing to share: " + root + " is empty");
    }
    int piece = pieceLength > 0 ? pieceLength : pieceLengthFor(total);
    if (Integer.bitCount(piece) != 1 || piece < MIN_PIECE) {
      throw new IllegalArgumentException("piece length must be a power of two >= 16 KiB, got " + piece);
    }
    TorrentBuilder builder = new TorrentBuilder()
        .path(root.toFile())
        .pieceSize(piece)
        .flags(TorrentBuilder.V1_ONLY)
        .creator("BootTorrent")
        .creationDate(System.currentTimeMillis() / 1000);
    int tier = 0;
    for (String tracker : trackers) {
      builder.addTracker(tracker, tier++);
    }
    for (String seed : webSeeds) {
      builder.addUrlSeed(seed);
    }
    TorrentBuilder.Result result = builder.generate();
    byte[] bytes = result.entry().bencode();
    TorrentInfo info = TorrentInfo.bdecode(bytes);
    return new Created(bytes, info.infoHash().toHex(), result.pieceLength(), result.numPieces(), total);
  }

  /**
   * The v1 info-hash of a bencoded torrent.
   *
   * @throws IllegalArgumentException (libtorrent's bdecode, through libtorrent4j) for anything that is
   *     not a valid torrent; TorrentHostileInputTest holds it to that for arbitrary bytes
   */
  public static String infoHash(byte[] torrent) {
    Libtorrent.ensureLoaded();
    return TorrentInfo.bdecode(torrent).infoHash().toHex();
  }

  /**
   * The index, in the torrent's file order ({@link SwarmSession#read}), of the file at {@code path}
   * under the torrent's folder (a multi-file torrent's files are {@code <name>/<path>}). Loads
   * libtorrent: call on a worker.
   */
  public static int fileIndex(byte[] torrent, String path) {
    Libtorrent.ensureLoaded();
    TorrentInfo info = TorrentInfo.bdecode(torrent);
    org.libtorrent4j.FileStorage files = info.files();
    String wanted = info.name() + "/" + path;
    for (int i = 0; i < files.numFiles(); i++) {
      String name = files.filePath(i).replace('\\', '/');
      if (name.equals(wanted) || files.numFiles() == 1 && name.equals(path)) {
        return i;
      }
    }
    throw new IllegalArgumentException("torrent " + info.name() + " has no file " + path);
  }

  private static long size(Path root) throws IOException {
    if (Files.isRegularFile(root)) {
      return Files.size(root);
    }
    try (var files = Files.walk(root)) {
      long total = 0;
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(p)) {
          total += Files.size(p);
        }
      }
      return total;
    }
  }
}
