package io.boottorrent.agent;

/**
 * Turns console bytes into menu input: ANSI arrow keys (ESC [ A / ESC O A), digits, Enter (CR or LF).
 * Works in raw mode and in line mode (where "2⏎" arrives as '2', '\n'). Pure and stateful per console.
 */
public final class KeyDecoder {
  /** What one byte completed: nothing yet, a key, or a digit. */
  public sealed interface Input permits None, KeyInput, Digit {}

  public record None() implements Input {}

  public record KeyInput(MenuModel.Key key) implements Input {}

  public record Digit(int value) implements Input {}

  private static final None NONE = new None();
  private int escape; // 0: normal, 1: after ESC, 2: after ESC [ or ESC O

  public Input feed(int b) {
    switch (escape) {
      case 1 -> {
        escape = (b == '[' || b == 'O') ? 2 : 0;
        return NONE;
      }
      case 2 -> {
        escape = 0;
        return switch (b) {
          case 'A' -> new KeyInput(MenuModel.Key.UP);
          case 'B' -> new KeyInput(MenuModel.Key.DOWN);
          default -> NONE;
        };
      }
      default -> {
        if (b == 27) {
          escape = 1;
          return NONE;
        }
        if (b == '\r' || b == '\n') {
          return new KeyInput(MenuModel.Key.ENTER);
        }
        if (b >= '1' && b <= '9') {
          return new Digit(b - '0');
        }
        if (b == 'k') {
          return new KeyInput(MenuModel.Key.UP);
        }
        if (b == 'j') {
          return new KeyInput(MenuModel.Key.DOWN);
        }
        return NONE;
      }
    }
  }
}
