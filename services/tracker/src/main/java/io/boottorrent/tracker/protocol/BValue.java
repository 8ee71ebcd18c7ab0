package io.boottorrent.tracker.protocol;

/** One bencoded value (BEP 3 "bencoding"): a byte string, an integer, a list or a dictionary. */
public sealed interface BValue permits BBytes, BInt, BList, BDict {}
