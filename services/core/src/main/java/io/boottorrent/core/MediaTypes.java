package io.boottorrent.core;

/** Content types on the wire between agents and services. */
public final class MediaTypes {
  /** Binary protobuf bodies: what agents send and ask for. */
  public static final String PROTOBUF = "application/x-protobuf";
  /** The same messages as JSON, for operators and browsers. */
  public static final String JSON = "application/json";

  private MediaTypes() {}
}
