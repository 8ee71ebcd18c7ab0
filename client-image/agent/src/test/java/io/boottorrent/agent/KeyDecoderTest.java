package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyDecoderTest {
  private static List<String> decode(String bytes) {
    KeyDecoder decoder = new KeyDecoder();
    List<String> out = new ArrayList<>();
    for (byte b : bytes.getBytes(StandardCharsets.ISO_8859_1)) {
      KeyDecoder.Input input = decoder.feed(b & 0xff);
      if (input instanceof KeyDecoder.KeyInput k) {
        out.add(k.key().name());
      } else if (input instanceof KeyDecoder.Digit d) {
        out.add("D" + d.value());
      }
    }
    return out;
  }

  // "^[" stands for ESC and "\\n"/"\\r" for LF/CR: the CSV parser would trim the raw control bytes.
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "ANSI up (CSI)          | ^[[A        | UP",
      "ANSI down (CSI)        | ^[[B        | DOWN",
      "application-mode up    | ^[OA        | UP",
      "carriage return        | \\r         | ENTER",
      "line mode '2' newline  | 2\\n        | D2 ENTER",
      "vi keys                | jk          | DOWN UP",
      "right arrow is ignored | ^[[C        | ''",
      "letters are ignored    | xyz         | ''"})
  void decodesConsoleBytes(String name, String bytes, String expected) {
    List<String> want = expected.isBlank() ? List.of() : List.of(expected.trim().split(" "));
    assertThat(decode(bytes.strip().replace("^[", "\u001b").replace("\\n", "\n").replace("\\r", "\r"))).isEqualTo(want);
  }
}
