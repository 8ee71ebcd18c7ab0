package io.boottorrent.telemetry;

import com.google.protobuf.InvalidProtocolBufferException;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;

/**
 * One event as the rings keep it: serialized (a {@code BootEvent} object costs 2-3 times its bytes),
 * with what the filters look at beside it. The same entry sits in the global ring and its machine's
 * ring. Mutable only by {@link TelemetryModel}, on one thread.
 */
public final class LoggedEntry {
  final long seq;
  final long receivedMs;
  final long timestampMs;
  final BootStage stage;
  final String image;
  final String ip;
  final byte[] bytes;
  /** The machine key the event is counted for; null: none (yet). */
  String machine;
  boolean inLog;
  boolean inMachine;
  boolean orphan;
  /** No ring holds it any more (or the byte cap dropped it): it no longer counts towards the cap. */
  boolean released;

  LoggedEntry(long seq, long receivedMs, BootEvent event, byte[] bytes, String machine, String image) {
    this.seq = seq;
    this.receivedMs = receivedMs;
    this.timestampMs = event.getTimestampMs() != 0 ? event.getTimestampMs() : receivedMs;
    this.stage = event.getStage();
    this.image = image;
    this.ip = event.getIp();
    this.bytes = bytes;
    this.machine = machine;
  }

  public long seq() {
    return seq;
  }

  public String machine() {
    return machine;
  }

  /** The event as received, with the machine's MAC filled in when it was joined to one by its IP. */
  public BootEvent event() {
    BootEvent event;
    try {
      event = BootEvent.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a logged event does not parse", e); // we serialized it
    }
    return event.getMac().isEmpty() && machine != null ? event.toBuilder().setMac(machine).build() : event;
  }
}
