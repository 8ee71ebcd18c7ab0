package io.boottorrent.server;

import static io.boottorrent.testsupport.HostileInput.bytes;
import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.onlyThrows;
import static io.boottorrent.testsupport.HostileInput.property;
import static io.boottorrent.testsupport.HostileInput.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.testsupport.HostileInput;
import io.boottorrent.testsupport.HostileInput.Entry;
import io.boottorrent.testsupport.HostileInput.Gen;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input for the REST API's request bodies (docs/SECURITY.md, "Hostile input"):
 * {@link ProtoHttp#parseBody} turns any body, JSON or binary protobuf, into the message or a
 * {@link ProtoHttp.BadRequest} (400), in heap linear in the body and bounded time — for the bodies the
 * catalog reads: AddImageRequest, BootPolicy, BootEvent. What parses prints back to JSON that parses
 * to the same message (but for unknown fields, which JSON cannot carry).
 */
class ProtoBodyHostileInputTest {
  static final List<Supplier<Message.Builder>> BUILDERS =
      List.of(AddImageRequest::newBuilder, BootPolicy::newBuilder, BootEvent::newBuilder);

  /** A body, the Content-Type it came with, and which message the endpoint expects. */
  record Body(byte[] bytes, boolean protobuf, int message) {
    @Override
    public String toString() {
      return (protobuf ? "protobuf " : "json ") + BUILDERS.get(message).get().getDescriptorForType().getName()
          + " " + (protobuf ? HostileInput.hex(bytes) : HostileInput.quoted(new String(bytes, StandardCharsets.UTF_8)));
    }
  }

  static List<Entry> corpus() {
    return HostileInput.corpus(ProtoBodyHostileInputTest.class, "/corpus/body");
  }

  static Object parse(Body body) throws ProtoHttp.BadRequest {
    Message.Builder builder = BUILDERS.get(body.message()).get();
    Message m = ProtoHttp.parseBody(body.bytes(), body.protobuf() ? ProtoHttp.PROTOBUF : ProtoHttp.JSON, builder)
        .build();
    Message again = ProtoHttp.parseBody(Json.print(m).getBytes(StandardCharsets.UTF_8), ProtoHttp.JSON,
        BUILDERS.get(body.message()).get()).build();
    // JSON has no place for unknown fields: compare what JSON shows
    assertThat(Json.print(again)).isEqualTo(Json.print(m));
    return m;
  }

  static Gen<byte[]> json(List<byte[]> seeds) {
    List<String> pieces = List.of("{", "}", "[", "]", ",", ":", "\"", "\"name\"", "\"kind\"", "\"KEXEC\"", "\"rules\"",
        "\"groups\"", "\"mac\"", "\"stage\"", "\"bytesFromPeers\"", "\"peers\"", "\"timestampMs\"", "\"menu\"",
        "\"args\"", "\"pieceLength\"", "\"menuTimeoutSeconds\"", "\"skipMenu\"", "0", "-1", "1e400", "1.5",
        "2147483648", "\"9223372036854775808\"", "-9223372036854775809", "true", "null", "\"\\u0000\"", "\"\\ud800\"",
        "\"x\"", " ", "\\", "/*", "NaN", "\"Infinity\"");
    Gen<byte[]> fromTokens = r -> tokens(pieces, 50).next(r).getBytes(StandardCharsets.UTF_8);
    return oneOf(fromTokens, mutations(seeds, 1 << 16));
  }

  @Test
  @DisplayName("arbitrary bodies, JSON or protobuf: the message or BadRequest, linear heap, bounded time")
  void arbitraryBodiesParseOrFailWithBadRequest() {
    List<byte[]> jsonSeeds = corpus().stream().filter(e -> e.name().endsWith(".json")).map(Entry::bytes).toList();
    List<byte[]> pbSeeds = corpus().stream().filter(e -> e.name().endsWith(".pb")).map(Entry::bytes).toList();
    Gen<byte[]> jsonGen = json(jsonSeeds);
    Gen<byte[]> pbGen = oneOf(bytes(300), mutations(pbSeeds, 1 << 16));
    Gen<Body> bodies = (Random r) -> {
      boolean protobuf = r.nextBoolean();
      return new Body((protobuf ? pbGen : jsonGen).next(r), protobuf, r.nextInt(BUILDERS.size()));
    };
    property("ProtoHttp.parseBody", bodies)
        .tries(4000)
        .allocationBudget(b -> (1L << 20) + 64L * b.bytes().length)
        .check(onlyThrows(ProtoHttp.BadRequest.class, ProtoBodyHostileInputTest::parse));
  }

  static Stream<Body> corpusBodies() {
    return corpus().stream().flatMap(e -> Stream.of(0, 1, 2).map(i -> new Body(e.bytes(), e.name().endsWith(".pb"), i)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpusBodies")
  @DisplayName("the corpus replays under the same contract, as each message")
  void corpusReplays(Body body) {
    property("ProtoHttp.parseBody corpus", r -> body)
        .allocationBudget(b -> (1L << 20) + 64L * b.bytes().length)
        .checkOne(body, onlyThrows(ProtoHttp.BadRequest.class, ProtoBodyHostileInputTest::parse), body.toString());
  }
}
