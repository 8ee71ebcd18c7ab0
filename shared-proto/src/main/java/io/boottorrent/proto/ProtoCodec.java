package io.boottorrent.proto;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Event-bus codec for one protobuf message type: a 4-byte length then the message bytes on the wire.
 * Protobuf messages are immutable, so a local send hands over the same instance.
 */
public final class ProtoCodec<T extends Message> implements MessageCodec<T, T> {
  private final String name;
  private final Parser<T> parser;

  public ProtoCodec(Class<T> type, Parser<T> parser) {
    this.name = "proto:" + type.getName();
    this.parser = parser;
  }

  @Override
  public void encodeToWire(Buffer buffer, T message) {
    byte[] bytes = message.toByteArray();
    buffer.appendInt(bytes.length);
    buffer.appendBytes(bytes);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    try {
      return parser.parseFrom(buffer.getBytes(pos + 4, pos + 4 + length));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("malformed " + name + " on the event bus", e);
    }
  }

  @Override
  public T transform(T message) {
    return message;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
