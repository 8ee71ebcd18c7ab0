package io.boottorrent.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 over a plain socket, for requests no HTTP client library sends: raw NUL and control
 * bytes in the request line, unknown methods, a chosen source address, a byte at a time.
 */
final class RawHttp {
  private RawHttp() {}

  /** What came back: the status (-1: the connection closed, or stayed silent, without one) and the bytes after the head. */
  record Answer(int status, String head, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }
  }

  /** Opens a connection from {@code source} (null: any) to 127.0.0.1:{@code port}. */
  static Socket connect(String source, int port, int readTimeoutMs) throws IOException {
    Socket socket = new Socket();
    if (source != null) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
    }
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
    socket.setSoTimeout(readTimeoutMs);
    return socket;
  }

  /** Sends {@code request} as is on a new connection and reads the answer until the server closes or stays silent. */
  static Answer exchange(int port, byte[] request, int readTimeoutMs) throws IOException {
    try (Socket socket = connect(null, port, readTimeoutMs)) {
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    }
  }

  /** Reads until EOF, or until the server is silent for the socket's timeout (a stream that stays open). */
  static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[16384];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        all.write(buffer, 0, n);
        if (all.size() > 4 << 20 || isStream(all)) {
          break;
        }
      }
    } catch (SocketTimeoutException silent) {
      // what arrived so far is the answer (an event stream never ends)
    } catch (IOException reset) {
      // a reset after (or instead of) an answer
    }
    return parse(all.toByteArray());
  }

  /** A complete head of an answer that never ends (Server-Sent Events, SockJS streaming): read no further. */
  private static boolean isStream(ByteArrayOutputStream received) {
    String text = received.toString(StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    String head = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
    return head.contains("text/event-stream") || head.contains("content-type: application/javascript");
  }

  static Answer parse(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/1.") || text.length() < 12) {
      return new Answer(-1, text, new byte[0]);
    }
    int status = Integer.parseInt(text.substring(9, 12));
    String head = end < 0 ? text : text.substring(0, end);
    byte[] body = end < 0 ? new byte[0] : java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
    return new Answer(status, head, body);
  }

  /** A request's bytes: line, headers (each "Name: value"), Content-Length when there is a body, and the body. */
  static byte[] request(String method, String target, java.util.List<String> headers, byte[] body) {
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1\r\nConnection: close\r\n");
    headers.forEach(h -> head.append(h).append("\r\n"));
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null) {
      return h;
    }
    byte[] out = java.util.Arrays.copyOf(h, h.length + body.length);
    System.arraycopy(body, 0, out, h.length, body.length);
    return out;
  }
}
