package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.tftp.protocol.Netascii;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@link NetasciiLengths}: once per version of a file, shared by concurrent requests, bounded. */
@ExtendWith(VertxExtension.class)
@Timeout(60)
class NetasciiLengthsTest {
  @TempDir Path dir;

  /** Text with CRs and LFs everywhere, chunk boundaries included. */
  private static byte[] text(int size, long seed) {
    Random random = new Random(seed);
    byte[] bytes = new byte[size];
    byte[] alphabet = "ab \r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int i = 0; i < size; i++) {
      bytes[i] = alphabet[random.nextInt(alphabet.length)];
    }
    return bytes;
  }

  /** Asks on a fresh event-loop context, and checks the answer comes back on it. */
  private static CompletableFuture<NetasciiLengths.Measured> ask(Vertx vertx, NetasciiLengths lengths, Path file) {
    CompletableFuture<NetasciiLengths.Measured> answer = new CompletableFuture<>();
    Context context = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
    context.runOnContext(v -> lengths.of(file).onComplete(ar -> {
      if (Vertx.currentContext() != context) {
        answer.completeExceptionally(new AssertionError("answered on " + Vertx.currentContext() + ", not the caller's"));
      } else if (ar.failed()) {
        answer.completeExceptionally(ar.cause());
      } else {
        answer.complete(ar.result());
      }
    }));
    return answer;
  }

  private static NetasciiLengths.Measured await(CompletableFuture<NetasciiLengths.Measured> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  @Test
  void theLengthIsTheEncodedLengthOfTheWholeFileAcrossChunks(Vertx vertx) throws Exception {
    // GIVEN a file of 3.5 chunks of CRs, LFs and text
    byte[] bytes = text(NetasciiLengths.CHUNK * 7 / 2 + 3, 1);
    Path file = Files.write(dir.resolve("menu.txt"), bytes);
    NetasciiLengths lengths = new NetasciiLengths(vertx, 4);
    // WHEN measured THEN it is what the encoder produces, and the raw length is the file's
    NetasciiLengths.Measured measured = await(ask(vertx, lengths, file));
    assertThat(measured.rawLength()).isEqualTo(bytes.length);
    assertThat(measured.encodedLength()).isEqualTo(Netascii.encodedLength(bytes, 0, bytes.length));
    // AND an empty file is 0 and 0
    assertThat(await(ask(vertx, lengths, Files.write(dir.resolve("empty.txt"), new byte[0]))))
        .isEqualTo(new NetasciiLengths.Measured(0, 0));
  }

  @Test
  void concurrentAndRepeatedRequestsForOneFileShareOneMeasurement(Vertx vertx) throws Exception {
    Path file = Files.write(dir.resolve("big.txt"), text(8 * 1024 * 1024, 2));
    NetasciiLengths lengths = new NetasciiLengths(vertx, 4);
    // WHEN 200 requests for it arrive at once from many contexts, then 200 more one after another
    List<CompletableFuture<NetasciiLengths.Measured>> answers = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      answers.add(ask(vertx, lengths, file));
    }
    NetasciiLengths.Measured first = await(answers.get(0));
    for (CompletableFuture<NetasciiLengths.Measured> a : answers) {
      assertThat(await(a)).isEqualTo(first);
    }
    for (int i = 0; i < 200; i++) {
      assertThat(await(ask(vertx, lengths, file))).isEqualTo(first);
    }
    // THEN the file was read once
    assertThat(lengths.measurements()).isEqualTo(1);
    assertThat(lengths.size()).isEqualTo(1);
  }

  @Test
  void aRewrittenFileIsMeasuredAgain(Vertx vertx) throws Exception {
    Path file = Files.write(dir.resolve("menu.txt"), "a\nb\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    NetasciiLengths lengths = new NetasciiLengths(vertx, 4);
    assertThat(await(ask(vertx, lengths, file))).isEqualTo(new NetasciiLengths.Measured(4, 6));
    // WHEN it is rewritten in place with the same size (another mtime)
    Files.write(file, "a\r\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5000));
    // THEN the new content is measured
    assertThat(await(ask(vertx, lengths, file))).isEqualTo(new NetasciiLengths.Measured(4, 7));
    // AND when it is replaced by another file of another size, too
    Path other = Files.write(dir.resolve("new.txt"), "\n\n\n\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(await(ask(vertx, lengths, file))).isEqualTo(new NetasciiLengths.Measured(5, 10));
    assertThat(lengths.measurements()).isEqualTo(3);
  }

  @Test
  void atMostCapacityFilesAreRememberedTheLeastRecentlyUsedDroppedFirst(Vertx vertx) throws Exception {
    NetasciiLengths lengths = new NetasciiLengths(vertx, 2);
    Path a = Files.write(dir.resolve("a.txt"), text(100, 3));
    Path b = Files.write(dir.resolve("b.txt"), text(100, 4));
    Path c = Files.write(dir.resolve("c.txt"), text(100, 5));
    await(ask(vertx, lengths, a));
    await(ask(vertx, lengths, b));
    await(ask(vertx, lengths, a)); // a is now the most recently used
    await(ask(vertx, lengths, c)); // drops b
    assertThat(lengths.size()).isEqualTo(2);
    assertThat(lengths.measurements()).isEqualTo(3);
    await(ask(vertx, lengths, a));
    assertThat(lengths.measurements()).as("a was kept").isEqualTo(3);
    await(ask(vertx, lengths, b));
    assertThat(lengths.measurements()).as("b was dropped, so measured again").isEqualTo(4);
    assertThat(lengths.size()).isEqualTo(2);
  }

  @Test
  void aFailedMeasurementIsReportedAndNotRemembered(Vertx vertx) throws Exception {
    NetasciiLengths lengths = new NetasciiLengths(vertx, 4);
    // GIVEN a name that has attributes but cannot be read (a folder: read(2) fails with EISDIR)
    Path odd = Files.createDirectory(dir.resolve("odd.txt"));
    // WHEN measured THEN the failure is reported, and nothing is remembered for it
    assertThatThrownBy(() -> await(ask(vertx, lengths, odd))).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(java.io.IOException.class);
    assertThat(lengths.measurements()).isEqualTo(1);
    assertThat(lengths.size()).isZero();
    // AND a missing file fails before any measurement
    assertThatThrownBy(() -> await(ask(vertx, lengths, dir.resolve("gone.txt")))).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(java.nio.file.NoSuchFileException.class);
    assertThat(lengths.measurements()).isEqualTo(1);
    // AND once it is a file, it is measured
    Files.delete(odd);
    Files.write(odd, "x\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertThat(await(ask(vertx, lengths, odd))).isEqualTo(new NetasciiLengths.Measured(2, 3));
    assertThat(lengths.size()).isEqualTo(1);
  }

  @Test
  void aCapacityBelowOneIsRefused(Vertx vertx) {
    assertThatThrownBy(() -> new NetasciiLengths(vertx, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("netascii length cache must hold at least 1 file, not 0");
  }
}
