package io.boottorrent.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.ImageManifest;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MenuModelTest {
  private static BootAssignment assignment(String defaultImage, int timeout, String... images) {
    BootAssignment.Builder b = BootAssignment.newBuilder().setDefaultImage(defaultImage).setMenuTimeoutSeconds(timeout);
    for (String image : images) {
      b.addMenu(ImageManifest.newBuilder().setName(image));
    }
    return b.build();
  }

  @Test
  void defaultIsHighlightedAndWinsWhenTheCountdownRunsOut() {
    // GIVEN a menu of three with "b" as the default and a 3 s countdown
    MenuModel menu = MenuModel.of(assignment("b", 3, "a", "b", "c"));
    assertThat(menu.selected()).isEqualTo(1);
    // WHEN three seconds pass without a key
    MenuModel after = menu.tick().tick();
    assertThat(after.done()).isFalse();
    after = after.tick();
    // THEN the default is chosen
    assertThat(after.chosen()).contains("b");
  }

  @Test
  void aKeyStopsTheCountdownAndEnterChoosesTheHighlightedEntry() {
    MenuModel menu = MenuModel.of(assignment("a", 2, "a", "b", "c")).press(MenuModel.Key.DOWN);
    assertThat(menu.counting()).isFalse();
    // time passing no longer chooses anything
    assertThat(menu.tick().tick().tick().done()).isFalse();
    assertThat(menu.press(MenuModel.Key.ENTER).chosen()).contains("b");
  }

  @Test
  void arrowsWrapAround() {
    MenuModel menu = MenuModel.of(assignment("a", 5, "a", "b", "c"));
    assertThat(menu.press(MenuModel.Key.UP).selected()).isEqualTo(2);
    assertThat(menu.press(MenuModel.Key.UP).press(MenuModel.Key.DOWN).selected()).isEqualTo(0);
  }

  @Test
  void digitsHighlightByPositionAndIgnoreOutOfRange() {
    MenuModel menu = MenuModel.of(assignment("a", 5, "a", "b", "c"));
    assertThat(menu.digit(3).selected()).isEqualTo(2);
    assertThat(menu.digit(4)).isEqualTo(menu);
    assertThat(menu.digit(3).press(MenuModel.Key.ENTER).chosen()).contains("c");
  }

  @Test
  void zeroTimeoutChoosesTheDefaultAtOnce() {
    assertThat(MenuModel.of(assignment("c", 0, "a", "c")).chosen()).contains("c");
  }

  @Test
  void unknownDefaultFallsBackToTheFirstEntry() {
    assertThat(MenuModel.of(assignment("gone", 1, "a", "b")).tick().chosen()).contains("a");
  }

  @Test
  void emptyMenuIsAnErrorWithAReason() {
    assertThatThrownBy(() -> MenuModel.of(assignment("", 5)))
        .hasMessageContaining("no image");
  }

  @Test
  void renderShowsHighlightAndCountdown() {
    String text = MenuModel.of(assignment("b", 7, "a", "b")).render();
    assertThat(text).contains("> 2. b").contains("    1. a").contains("b in 7 s");
    assertThat(MenuModel.of(assignment("b", 7, "a", "b")).press(MenuModel.Key.ENTER).chosen()).isEqualTo(Optional.of("b"));
  }
}
