package io.boottorrent.agent;

import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.ImageManifest;
import java.util.List;
import java.util.Optional;

/**
 * The boot menu as a pure state machine: the images this machine may boot, the highlighted one, a
 * countdown that chooses the highlighted entry when it runs out, and keys that move or choose. Any
 * key stops the countdown (the user is there), as in every boot loader.
 */
public record MenuModel(List<String> items, int selected, int remainingSeconds, boolean counting,
    Optional<String> chosen) {

  public enum Key { UP, DOWN, ENTER }

  public static MenuModel of(BootAssignment assignment) {
    List<String> items = assignment.getMenuList().stream().map(ImageManifest::getName).toList();
    if (items.isEmpty()) {
      throw new IllegalArgumentException("the catalog offers this machine no image to boot");
    }
    int index = Math.max(0, items.indexOf(assignment.getDefaultImage()));
    int timeout = Math.max(0, assignment.getMenuTimeoutSeconds());
    MenuModel model = new MenuModel(items, index, timeout, true, Optional.empty());
    return timeout == 0 ? model.choose() : model;
  }

  public boolean done() {
    return chosen.isPresent();
  }

  /** One second passed. */
  public MenuModel tick() {
    if (done() || !counting) {
      return this;
    }
    MenuModel next = new MenuModel(items, selected, remainingSeconds - 1, true, chosen);
    return next.remainingSeconds <= 0 ? next.choose() : next;
  }

  public MenuModel press(Key key) {
    if (done()) {
      return this;
    }
    return switch (key) {
      case UP -> new MenuModel(items, (selected + items.size() - 1) % items.size(), remainingSeconds, false, chosen);
      case DOWN -> new MenuModel(items, (selected + 1) % items.size(), remainingSeconds, false, chosen);
      case ENTER -> choose();
    };
  }

  /** Digit n (1-based) highlights entry n; out-of-range digits are ignored. */
  public MenuModel digit(int n) {
    if (done() || n < 1 || n > items.size()) {
      return this;
    }
    return new MenuModel(items, n - 1, remainingSeconds, false, chosen);
  }

  private MenuModel choose() {
    return new MenuModel(items, selected, remainingSeconds, false, Optional.of(items.get(selected)));
  }

  /** The menu as the console shows it. */
  public String render() {
    StringBuilder out = new StringBuilder("\n  BootTorrent — choose what to boot\n\n");
    for (int i = 0; i < items.size(); i++) {
      out.append(i == selected ? "  > " : "    ").append(i + 1).append(". ").append(items.get(i)).append('\n');
    }
    out.append('\n');
    if (done()) {
      out.append("  booting ").append(chosen.get()).append('\n');
    } else if (counting) {
      out.append("  ↑/↓ or 1-").append(items.size()).append(", Enter to boot; ")
          .append(items.get(selected)).append(" in ").append(remainingSeconds).append(" s\n");
    } else {
      out.append("  ↑/↓ or 1-").append(items.size()).append(", Enter to boot\n");
    }
    return out.toString();
  }
}
