package io.boottorrent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.nbd.protocol.Nbd;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server over a raw socket: pipelining, DISC after outstanding reads, flow control, protocol errors. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdServerTest {
  Vertx vertx;
  byte[] image = new byte[1 << 20];
  ScheduledExecutorService foreign = Executors.newSingleThreadScheduledExecutor();

  /** Memory, completing each read later on a thread that is not Vert.x's (as a swarm callback would). */
  BlockSource source = new BlockSource() {
    public long size() {
      return image.length;
    }

    public Future<Buffer> read(long offset, int length) {
      Promise<Buffer> p = Promise.promise();
      long delay = offset < 4096 ? 300 : 1;
      foreign.schedule(() -> p.complete(Buffer.buffer(image).getBuffer((int) offset, (int) offset + length)), delay,
          TimeUnit.MILLISECONDS);
      return p.future();
    }
  };
  NbdServer server;

  @BeforeEach
  void setUp() throws Exception {
    new Random(1).nextBytes(image);
    vertx = Vertx.vertx();
    server = NbdServer.tcp(vertx, "boot", source, 0).start().toCompletionStage().toCompletableFuture().get();
  }

  @AfterEach
  void tearDown() throws Exception {
    foreign.shutdownNow();
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  static byte[] go() {
    byte[] name = "boot".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + 16 + 4 + name.length + 2);
    b.putInt(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES);
    b.putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_GO).putInt(4 + name.length + 2).putInt(name.length).put(name).putShort((short) 0);
    return b.array();
  }

  static byte[] request(int type, long handle, long offset, int length) {
    return ByteBuffer.allocate(28).putInt(Nbd.REQUEST_MAGIC).putShort((short) 0).putShort((short) type)
        .putLong(handle).putLong(offset).putInt(length).array();
  }

  /** Reads the greeting and GO's two replies (INFO_EXPORT, ACK). */
  static void handshake(DataInputStream in) throws Exception {
    assertThat(in.readLong()).isEqualTo(Nbd.NBDMAGIC);
    assertThat(in.readLong()).isEqualTo(Nbd.IHAVEOPT);
    assertThat(in.readShort()).isEqualTo((short) 3);
    for (int expectedType : new int[] {Nbd.REP_INFO, Nbd.REP_ACK}) {
      assertThat(in.readLong()).isEqualTo(Nbd.OPTION_REPLY_MAGIC);
      assertThat(in.readInt()).isEqualTo(Nbd.OPT_GO);
      assertThat(in.readInt()).isEqualTo(expectedType);
      in.readNBytes(in.readInt());
    }
  }

  @Test
  @DisplayName("flags, GO and reads pipelined in one write; replies come as reads complete; DISC waits for them")
  void pipelinedSessionAndDisc() throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(go());
    wire.writeBytes(request(Nbd.CMD_READ, 1, 0, 100)); // slow: 300 ms
    wire.writeBytes(request(Nbd.CMD_READ, 2, 8192, 100));
    wire.writeBytes(request(Nbd.CMD_WRITE, 3, 0, 10));
    wire.writeBytes(new byte[10]);
    wire.writeBytes(request(Nbd.CMD_DISC, 4, 0, 0));
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write(wire.toByteArray());
      DataInputStream in = new DataInputStream(s.getInputStream());
      handshake(in);
      long[] order = new long[3];
      for (int i = 0; i < 3; i++) {
        assertThat(in.readInt()).isEqualTo(Nbd.SIMPLE_REPLY_MAGIC);
        int error = in.readInt();
        long handle = in.readLong();
        order[i] = handle;
        if (handle == 3) {
          assertThat(error).isEqualTo(Nbd.EPERM);
        } else {
          assertThat(error).isZero();
          int at = handle == 1 ? 0 : 8192;
          assertThat(in.readNBytes(100)).isEqualTo(java.util.Arrays.copyOfRange(image, at, at + 100));
        }
      }
      // the slow read (handle 1, sent first) is answered last; the write's EPERM and the fast read before it
      assertThat(order[2]).isEqualTo(1);
      assertThat(order).containsExactlyInAnyOrder(1, 2, 3);
      assertThat(in.read()).as("closed after DISC").isEqualTo(-1);
    }
    assertThat(server.reads()).isEqualTo(2);
    assertThat(server.bytesServed()).isEqualTo(200);
  }

  @Test
  @DisplayName("1000 reads sent at once, over the per-connection in-flight cap: every one answered once")
  void manyReadsInFlight() throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(go());
    for (int i = 0; i < 1000; i++) {
      wire.writeBytes(request(Nbd.CMD_READ, i, 4096L * (i % 200), 4096));
    }
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write(wire.toByteArray());
      DataInputStream in = new DataInputStream(s.getInputStream());
      handshake(in);
      Set<Long> seen = new HashSet<>();
      for (int i = 0; i < 1000; i++) {
        assertThat(in.readInt()).isEqualTo(Nbd.SIMPLE_REPLY_MAGIC);
        assertThat(in.readInt()).isZero();
        long handle = in.readLong();
        assertThat(seen.add(handle)).isTrue();
        int at = (int) (4096L * (handle % 200));
        assertThat(in.readNBytes(4096)).isEqualTo(java.util.Arrays.copyOfRange(image, at, at + 4096));
      }
      assertThat(seen).hasSize(1000);
    }
    assertThat(server.readsInFlight()).isZero();
  }

  @Test
  @DisplayName("a bad request magic closes that connection; the server goes on serving others")
  void protocolErrorClosesTheConnection() throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write(go());
      s.getOutputStream().write(new byte[28]);
      DataInputStream in = new DataInputStream(s.getInputStream());
      handshake(in);
      assertThat(in.read()).isEqualTo(-1);
    }
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.getOutputStream().write(go());
      s.getOutputStream().write(request(Nbd.CMD_READ, 9, 5000, 1));
      DataInputStream in = new DataInputStream(s.getInputStream());
      handshake(in);
      assertThat(in.readInt()).isEqualTo(Nbd.SIMPLE_REPLY_MAGIC);
      assertThat(in.readInt()).isZero();
      assertThat(in.readLong()).isEqualTo(9);
      assertThat(in.readByte()).isEqualTo(image[5000]);
    } catch (EOFException e) {
      throw new AssertionError("second connection closed", e);
    }
  }
}
