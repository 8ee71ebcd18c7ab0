package io.boottorrent.proto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class ProtoCodecTest {
  private final ProtoCodec<BootEvent> codec = new ProtoCodec<>(BootEvent.class, BootEvent.parser());

  private static BootEvent sample() {
    return BootEvent.newBuilder().setMac("52:54:00:12:34:56").setStage(BootStage.VERIFIED)
        .setImage("debian").setBytesDone(1L << 40).putBytesFromPeers("10.0.0.2:6881", 42).build();
  }

  @Test
  void wireFormatIsLengthThenProtobufBytesAndDecodesAtAnOffset() {
    // GIVEN a buffer that already holds other data (the event bus prepends its own headers)
    Buffer buffer = Buffer.buffer().appendString("header");
    codec.encodeToWire(buffer, sample());
    byte[] body = sample().toByteArray();
    assertThat(buffer.getInt(6)).isEqualTo(body.length);
    assertThat(buffer.getBytes(10, 10 + body.length)).isEqualTo(body);
    // THEN decoding from that position gives an equal message
    assertThat(codec.decodeFromWire(6, buffer)).isEqualTo(sample());
  }

  @Test
  void localDeliveryPassesTheSameImmutableInstance() {
    BootEvent event = sample();
    assertThat(codec.transform(event)).isSameAs(event);
  }

  @Test
  void nameCarriesTheMessageTypeAndIsNotASystemCodec() {
    assertThat(codec.name()).isEqualTo("proto:io.boottorrent.proto.BootEvent");
    assertThat(codec.systemCodecID()).isEqualTo((byte) -1);
  }

  @Test
  void malformedBytesFailWithTheCodecName() {
    Buffer buffer = Buffer.buffer().appendInt(3).appendBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
    assertThatThrownBy(() -> codec.decodeFromWire(0, buffer))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BootEvent");
  }

  @Test
  void registerAllCoversEveryMessageAndIsIdempotent() {
    Vertx vertx = Vertx.vertx();
    try {
      Codecs.registerAll(vertx.eventBus());
      Codecs.registerAll(vertx.eventBus());
      // a local request/reply with a protobuf body needs no explicit codec name
      vertx.eventBus().<BootEvent>consumer("test", m -> m.reply(m.body().toBuilder().setImage("echo").build()));
      BootEvent reply = vertx.eventBus().<BootEvent>request("test", sample()).await().body();
      assertThat(reply.getImage()).isEqualTo("echo");
      assertThat(Codecs.ALL).hasSize(15);
    } finally {
      vertx.close().await();
    }
  }
}
