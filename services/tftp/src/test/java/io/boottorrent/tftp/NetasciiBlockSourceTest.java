package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@link NetasciiBlockSource}: the converted stream in blocks, and a file that is not the one measured. */
@ExtendWith(VertxExtension.class)
@Timeout(30)
class NetasciiBlockSourceTest {
  @TempDir Path dir;

  private AsyncFile open(Vertx vertx, String name, String content) throws Exception {
    Path file = Files.write(dir.resolve(name), content.getBytes(StandardCharsets.US_ASCII));
    return vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true).setWrite(false)).await();
  }

  private static String await(Future<Buffer> block) throws Exception {
    return block.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void theMeasuredFileComesOutConvertedBlockByBlockAndTheLastWindowIsKept(Vertx vertx) throws Exception {
    // "ab\ncd\r" is 6 bytes on disk and "ab\r\ncd\r\0" (8) on the wire: blocks of 3, 3 and 2
    AsyncFile file = open(vertx, "menu.txt", "ab\ncd\r");
    NetasciiBlockSource source = NetasciiBlockSource.of(file, new NetasciiLengths.Measured(6, 8), 2);
    assertThat(source.length()).isEqualTo(8);
    assertThat(await(source.block(1, 3))).isEqualTo("ab\r");
    assertThat(await(source.block(2, 3))).isEqualTo("\ncd");
    assertThat(await(source.block(3, 2))).isEqualTo("\r\0");
    // a resend within the window comes from memory; one further back is refused
    assertThat(await(source.block(2, 3))).isEqualTo("\ncd");
    assertThatThrownBy(() -> await(source.block(1, 3))).hasRootCauseMessage("block 1 is no longer kept");
    source.close().await();
  }

  @Test
  void aFileWhoseStreamGoesOnPastTheMeasuredEndFailsRatherThanSendingItTruncated(Vertx vertx) throws Exception {
    // GIVEN lengths measured for "aaaaa" (5 and 5), but the file opened is now "aaaa\n" (5 and 6 on the
    // wire): it was replaced between the open and the measurement
    AsyncFile file = open(vertx, "replaced.txt", "aaaa\n");
    NetasciiBlockSource source = NetasciiBlockSource.of(file, new NetasciiLengths.Measured(5, 5), 1);
    // WHEN the last block by those lengths is read THEN it fails: "aaaa\r" would end the file mid-line
    assertThatThrownBy(() -> await(source.block(1, 5))).isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("file changed during the transfer");
    source.close().await();
  }

  @Test
  void aFileThatEndsBeforeTheMeasuredEndFails(Vertx vertx) throws Exception {
    // lengths for "aaaa\n" (5 and 6) on a file that is now "aaa" (3)
    AsyncFile file = open(vertx, "shrunk.txt", "aaa");
    NetasciiBlockSource source = NetasciiBlockSource.of(file, new NetasciiLengths.Measured(5, 6), 1);
    assertThatThrownBy(() -> await(source.block(1, 6))).isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("file shrank during the transfer");
    source.close().await();
  }
}
