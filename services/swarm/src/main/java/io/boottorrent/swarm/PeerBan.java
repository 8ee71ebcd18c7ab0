package io.boottorrent.swarm;

/**
 * An address a {@link SwarmSession} banned (every port, for the rest of the session) because a peer
 * there sent data that failed a hash check.
 *
 * @param infoHash the torrent the corrupt data was for
 * @param torrent its name
 * @param address the banned IP address
 * @param bytesDiscarded bytes from that address thrown away with failed pieces, counted a second after
 *     the ban (its pieces in flight have failed by then; a piece it sent part of and others complete
 *     later may still add some: {@link SwarmSession#discardedBytes} has the total)
 * @param reason why: which piece and how it was attributed
 */
public record PeerBan(String infoHash, String torrent, String address, long bytesDiscarded, String reason) {}
