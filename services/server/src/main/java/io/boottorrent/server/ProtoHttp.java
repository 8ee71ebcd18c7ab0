package io.boottorrent.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.boottorrent.core.MediaTypes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;

/**
 * Protobuf bodies over HTTP. Agents speak binary protobuf ({@value #PROTOBUF}); operators and
 * browsers get the same messages as JSON ({@link MediaTypes}). The request's Content-Type picks the parser, its Accept
 * header the response form.
 */
public final class ProtoHttp {
  public static final String PROTOBUF = MediaTypes.PROTOBUF;
  public static final String JSON = MediaTypes.JSON;

  private ProtoHttp() {}

  public static boolean wantsProtobuf(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    return accept != null && accept.contains(PROTOBUF);
  }

  public static Future<Void> send(RoutingContext ctx, int status, Message message) {
    HttpServerResponse response = ctx.response().setStatusCode(status);
    if (wantsProtobuf(ctx)) {
      return response.putHeader("Content-Type", PROTOBUF).end(Buffer.buffer(message.toByteArray()));
    }
    return response.putHeader("Content-Type", JSON).end(Json.print(message));
  }

  /** Parses the body into {@code builder}; binary if Content-Type says protobuf, JSON otherwise. */
  public static <B extends Message.Builder> B parse(RoutingContext ctx, B builder) throws BadRequest {
    Buffer body = ctx.body().buffer();
    return parseBody(body == null ? new byte[0] : body.getBytes(), ctx.request().getHeader("Content-Type"), builder);
  }

  /**
   * The pure part of {@link #parse}: {@code body} into {@code builder}, binary protobuf if
   * {@code contentType} says so, JSON otherwise.
   *
   * @throws BadRequest (400) for an empty or malformed body, and nothing else whatever the bytes
   */
  public static <B extends Message.Builder> B parseBody(byte[] body, String contentType, B builder)
      throws BadRequest {
    if (body.length == 0) {
      throw new BadRequest("request body is empty");
    }
    try {
      if (contentType != null && contentType.startsWith(PROTOBUF)) {
        builder.mergeFrom(body);
      } else {
        Json.parse(new String(body, StandardCharsets.UTF_8), builder);
      }
      return builder;
    } catch (InvalidProtocolBufferException e) {
      throw new BadRequest("malformed " + builder.getDescriptorForType().getName() + ": " + e.getMessage());
    }
  }

  /** A JSON error body {@code {"error": reason}} with a 4xx/5xx status. */
  public static Future<Void> error(RoutingContext ctx, int status, String reason) {
    return ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", JSON)
        .end(new JsonObject().put("error", reason).put("status", status).encode());
  }

  /** A client mistake, to be answered with 400 and its message. */
  public static final class BadRequest extends Exception implements Rest.ClientError {
    private final int status;

    public BadRequest(String reason) {
      this(400, reason);
    }

    public BadRequest(int status, String reason) {
      super(reason);
      this.status = status;
    }

    @Override
    public int status() {
      return status;
    }
  }
}
