package io.boottorrent.tracker.protocol;

/** A bencoded integer ({@code i42e}); bencode allows arbitrary size, we accept what fits a long. */
public record BInt(long value) implements BValue {}
