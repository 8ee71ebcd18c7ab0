package io.boottorrent.swarm;

/**
 * An address a {@link SwarmSession} banned (every port, for the rest of the session) because a peer
 * there sent data that failed a hash check.
 *
 * @param infoHash the torrent the corrupt data was for
 * @param torrent its name
 * @param address the banned IP address
 * @param bytesDiscarded bytes from that address thrown away with failed pieces up to the ban (pieces
 *     still in flight when it was banned may add more; {@link SwarmSession#discardedBytes} has the total)
 * @param reason why: which piece and how it was attributed
 */
public record PeerBan(String infoHash, String torrent, String address, long bytesDiscarded, String reason) {}
