package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootRule;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BootPoliciesTest {
  static final String MAC = "aa:bb:cc:dd:ee:01";
  static final String OTHER = "aa:bb:cc:dd:ee:02";

  static ImageManifest image(String name) {
    return ImageManifest.newBuilder().setName(name).setKind(ImageKind.KEXEC).setInfoHash("ab".repeat(20))
        .setTorrent(ByteString.copyFromUtf8("d4:infod4:name" + name.length() + ":" + name + "ee")).build();
  }

  /** Deliberately not in name order: the catalog may hand them over in any order. */
  static final List<ImageManifest> IMAGES = List.of(image("gamma"), image("alpha"), image("beta"));

  static List<String> menu(BootAssignment a) {
    return a.getMenuList().stream().map(ImageManifest::getName).toList();
  }

  // ------------------------------------------------------------------------------------------ MACs

  @ParameterizedTest
  @ValueSource(strings = {"aa:bb:cc:dd:ee:01", "AA:BB:CC:DD:EE:01", "aa-bb-cc-dd-ee-01", "AA-BB-CC-DD-EE-01",
      "aabbccddee01", "AABBCCDDEE01", "aabb.ccdd.ee01", " aa:bb:cc:dd:ee:01 "})
  void everyCommonMacSpellingNormalisesToLowerCaseColons(String spelling) {
    assertThat(BootPolicies.machine(spelling).canonical()).isEqualTo(MAC);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:0g", "aa:bb-cc:dd:ee:01", "aabbccddee0",
      "aabbccddee011", "aa:bb:cc:dd:ee:01:02", "not-a-mac"})
  void malformedMacsAreA400(String mac) {
    assertThatThrownBy(() -> BootPolicies.machine(mac))
        .isInstanceOfSatisfying(CatalogException.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThatThrownBy(() -> BootPolicies.assign(BootPolicies.defaultPolicy(5), mac, IMAGES))
        .isInstanceOf(CatalogException.class);
  }

  // ---------------------------------------------------------------------------------- assignment

  @Test
  void withoutRulesAMachineGetsEveryImageAndTheFirstByName() {
    // GIVEN the default policy
    BootPolicy policy = BootPolicies.defaultPolicy(7);
    // WHEN a machine asks, spelling its MAC in upper case with dashes
    BootAssignment a = BootPolicies.assign(policy, "AA-BB-CC-DD-EE-01", IMAGES);
    // THEN it gets the whole menu in name order, without torrent bytes, and the first image by default
    assertThat(a.getMac()).isEqualTo(MAC);
    assertThat(menu(a)).containsExactly("alpha", "beta", "gamma");
    assertThat(a.getMenuList()).allSatisfy(m -> assertThat(m.getTorrent().isEmpty()).isTrue());
    assertThat(a.getMenu(0).getInfoHash()).isEqualTo("ab".repeat(20));
    assertThat(a.getDefaultImage()).isEqualTo("alpha");
    assertThat(a.getMenuTimeoutSeconds()).isEqualTo(7);
    assertThat(a.getSkipMenu()).isFalse();
    assertThat(a.getMatchedRule()).isEqualTo("default");
  }

  @Test
  void thePolicyDefaultImageIsUsedWhenItExists() {
    BootPolicy policy = BootPolicy.newBuilder().setDefaultImage("beta").setMenuTimeoutSeconds(3).build();
    BootAssignment a = BootPolicies.assign(policy, MAC, IMAGES);
    assertThat(a.getDefaultImage()).isEqualTo("beta");
    assertThat(menu(a)).containsExactly("alpha", "beta", "gamma");
    assertThat(a.getMatchedRule()).isEqualTo("default");
  }

  @Test
  void aDeletedPolicyDefaultFallsBackToTheFirstImage() {
    BootPolicy policy = BootPolicy.newBuilder().setDefaultImage("deleted").build();
    assertThat(BootPolicies.assign(policy, MAC, IMAGES).getDefaultImage()).isEqualTo("alpha");
  }

  @Test
  void aMacRuleWinsOverAnEarlierGroupRule() {
    // GIVEN a machine that is in group "lab", with a group rule listed before its own MAC rule
    BootPolicy policy = BootPolicy.newBuilder().setMenuTimeoutSeconds(10)
        .addRules(BootRule.newBuilder().setGroup("lab").setImage("beta").setMenuTimeoutSeconds(-1))
        .addRules(BootRule.newBuilder().setMac("AABBCCDDEE01").setImage("gamma").setMenuTimeoutSeconds(2)
            .setSkipMenu(true))
        .putGroups(MAC, "lab")
        .build();
    // WHEN it asks
    BootAssignment a = BootPolicies.assign(policy, MAC, IMAGES);
    // THEN its MAC rule applies, with its timeout and skip_menu
    assertThat(a.getMatchedRule()).isEqualTo("mac");
    assertThat(a.getDefaultImage()).isEqualTo("gamma");
    assertThat(a.getMenuTimeoutSeconds()).isEqualTo(2);
    assertThat(a.getSkipMenu()).isTrue();
  }

  @Test
  void theFirstMatchingMacRuleWins() {
    BootPolicy policy = BootPolicy.newBuilder()
        .addRules(BootRule.newBuilder().setMac(MAC).setImage("beta"))
        .addRules(BootRule.newBuilder().setMac(MAC).setImage("gamma"))
        .build();
    assertThat(BootPolicies.assign(policy, MAC, IMAGES).getDefaultImage()).isEqualTo("beta");
  }

  @Test
  void aGroupRuleAppliesToMachinesOfThatGroupOnly() {
    // GIVEN a group rule for "lab" with a restricted menu, and MAC rules for other machines
    BootPolicy policy = BootPolicy.newBuilder().setDefaultImage("alpha").setMenuTimeoutSeconds(10)
        .addRules(BootRule.newBuilder().setMac(OTHER).setImage("alpha"))
        .addRules(BootRule.newBuilder().setGroup("kiosk").setImage("alpha"))
        .addRules(BootRule.newBuilder().setGroup("lab").setImage("gamma").addMenu("gamma").addMenu("beta")
            .setMenuTimeoutSeconds(-1))
        .putGroups("AA-BB-CC-DD-EE-01", "lab")
        .build();
    // WHEN a lab machine and an ungrouped machine ask
    BootAssignment lab = BootPolicies.assign(policy, MAC, IMAGES);
    BootAssignment stranger = BootPolicies.assign(policy, "aa:bb:cc:dd:ee:03", IMAGES);
    // THEN the lab machine gets the group's image and menu (in the rule's order) and the policy timeout
    assertThat(lab.getMatchedRule()).isEqualTo("group:lab");
    assertThat(lab.getDefaultImage()).isEqualTo("gamma");
    assertThat(menu(lab)).containsExactly("gamma", "beta");
    assertThat(lab.getMenuTimeoutSeconds()).isEqualTo(10);
    // AND the other machine the default
    assertThat(stranger.getMatchedRule()).isEqualTo("default");
    assertThat(stranger.getDefaultImage()).isEqualTo("alpha");
    assertThat(menu(stranger)).containsExactly("alpha", "beta", "gamma");
  }

  @Test
  void menuImagesThatNoLongerExistAreDropped() {
    // GIVEN a rule whose menu names an image deleted since
    BootPolicy policy = BootPolicy.newBuilder()
        .addRules(BootRule.newBuilder().setMac(MAC).addMenu("deleted").addMenu("beta").addMenu("alpha"))
        .build();
    // WHEN the machine asks
    BootAssignment a = BootPolicies.assign(policy, MAC, IMAGES);
    // THEN the menu keeps only the existing images, the first of which is the default
    assertThat(menu(a)).containsExactly("beta", "alpha");
    assertThat(a.getDefaultImage()).isEqualTo("beta");
  }

  @Test
  void aRuleWhoseMenuImagesAreAllGoneOffersEveryImage() {
    BootPolicy policy = BootPolicy.newBuilder()
        .addRules(BootRule.newBuilder().setMac(MAC).addMenu("deleted")).build();
    assertThat(menu(BootPolicies.assign(policy, MAC, IMAGES))).containsExactly("alpha", "beta", "gamma");
  }

  @Test
  void theRuleImageIsAlwaysOnTheMenu() {
    BootPolicy policy = BootPolicy.newBuilder()
        .addRules(BootRule.newBuilder().setMac(MAC).setImage("gamma").addMenu("alpha")).build();
    BootAssignment a = BootPolicies.assign(policy, MAC, IMAGES);
    assertThat(a.getDefaultImage()).isEqualTo("gamma");
    assertThat(menu(a)).containsExactly("gamma", "alpha");
  }

  @Test
  void aDeletedRuleImageFallsBackToThePolicyDefaultWhenOnTheMenu() {
    BootPolicy policy = BootPolicy.newBuilder().setDefaultImage("beta")
        .addRules(BootRule.newBuilder().setMac(MAC).setImage("deleted")).build();
    assertThat(BootPolicies.assign(policy, MAC, IMAGES).getDefaultImage()).isEqualTo("beta");
  }

  @Test
  void ruleTimeoutMinusOneMeansThePolicyTimeoutAndZeroMeansNoCountdown() {
    BootPolicy policy = BootPolicy.newBuilder().setMenuTimeoutSeconds(15)
        .addRules(BootRule.newBuilder().setMac(MAC).setMenuTimeoutSeconds(-1))
        .addRules(BootRule.newBuilder().setMac(OTHER).setMenuTimeoutSeconds(0))
        .build();
    assertThat(BootPolicies.assign(policy, MAC, IMAGES).getMenuTimeoutSeconds()).isEqualTo(15);
    assertThat(BootPolicies.assign(policy, OTHER, IMAGES).getMenuTimeoutSeconds()).isZero();
  }

  @Test
  void anEmptyCatalogAssignsNothing() {
    BootAssignment a = BootPolicies.assign(BootPolicies.defaultPolicy(10), MAC, List.of());
    assertThat(a.getDefaultImage()).isEmpty();
    assertThat(a.getMenuList()).isEmpty();
    assertThat(a.getMatchedRule()).isEqualTo("default");
  }

  // ---------------------------------------------------------------------------------- validation

  @Test
  void aGroupRuleWithPieceStripesGivesEachMemberItsOwnStripe() {
    // GIVEN group "rack1" of three machines (MACs in assorted spellings) with piece stripes, and "lab" without
    BootPolicy policy = BootPolicy.newBuilder()
        .addRules(BootRule.newBuilder().setGroup("rack1").setImage("beta").setPieceStripes(true))
        .addRules(BootRule.newBuilder().setGroup("lab").setImage("alpha"))
        .putGroups("AA-BB-CC-DD-EE-03", "rack1").putGroups("aa:bb:cc:dd:ee:01", "rack1")
        .putGroups("aabbccddee02", "rack1").putGroups("aa:bb:cc:dd:ee:04", "lab")
        .build();
    // WHEN each asks THEN a rack1 member's stripe is its rank by MAC among the 3
    for (int i = 1; i <= 3; i++) {
      BootAssignment a = BootPolicies.assign(policy, "aa:bb:cc:dd:ee:0" + i, IMAGES);
      assertThat(a.getMatchedRule()).isEqualTo("group:rack1");
      assertThat(a.getStripeIndex()).isEqualTo(i - 1);
      assertThat(a.getStripeCount()).isEqualTo(3);
    }
    // AND machines of a group without stripes, or of no group, get none
    assertThat(BootPolicies.assign(policy, "aa:bb:cc:dd:ee:04", IMAGES).getStripeCount()).isZero();
    assertThat(BootPolicies.assign(policy, "aa:bb:cc:dd:ee:05", IMAGES).getStripeCount()).isZero();
  }

  @Test
  void pieceStripesOnAMacRuleAreRefused() {
    assertRefused(BootPolicy.newBuilder().addRules(BootRule.newBuilder().setMac(MAC).setPieceStripes(true)).build(),
        400, "rules[0]: piece_stripes needs a group rule");
  }

  static final Set<String> EXISTING = Set.of("alpha", "beta", "gamma");

  @Test
  void aValidPolicyIsStoredNormalised() {
    // GIVEN a policy with MACs in assorted spellings and padded group names
    BootPolicy policy = BootPolicy.newBuilder().setDefaultImage("alpha").setMenuTimeoutSeconds(5)
        .addRules(BootRule.newBuilder().setMac("AA-BB-CC-DD-EE-01").setImage("beta").setMenuTimeoutSeconds(-1))
        .addRules(BootRule.newBuilder().setGroup(" lab ").addMenu("gamma").addMenu("gamma").addMenu("alpha"))
        .putGroups("AABBCCDDEE02", "lab")
        .build();
    // WHEN it is validated
    BootPolicy valid = BootPolicies.validate(policy, EXISTING);
    // THEN MACs are lower case with colons, group names trimmed, duplicate menu entries dropped
    assertThat(valid.getRules(0).getMac()).isEqualTo(MAC);
    assertThat(valid.getRules(0).getMenuTimeoutSeconds()).isEqualTo(-1);
    assertThat(valid.getRules(1).getGroup()).isEqualTo("lab");
    assertThat(valid.getRules(1).getMenuList()).containsExactly("gamma", "alpha");
    assertThat(valid.getGroupsMap()).containsExactly(java.util.Map.entry(OTHER, "lab"));
    assertThat(valid.getDefaultImage()).isEqualTo("alpha");
    assertThat(valid.getMenuTimeoutSeconds()).isEqualTo(5);
  }

  static void assertRefused(BootPolicy policy, int status, String reason) {
    assertThatThrownBy(() -> BootPolicies.validate(policy, EXISTING))
        .isInstanceOfSatisfying(CatalogException.class, e -> {
          assertThat(e.status()).isEqualTo(status);
          assertThat(e.getMessage()).contains(reason);
        });
  }

  @Test
  void unknownImageNamesAreA422() {
    assertRefused(BootPolicy.newBuilder().setDefaultImage("ghost").build(), 422, "default_image");
    assertRefused(BootPolicy.newBuilder().addRules(BootRule.newBuilder().setMac(MAC).setImage("ghost")).build(),
        422, "rules[0].image");
    assertRefused(BootPolicy.newBuilder().addRules(BootRule.newBuilder().setMac(MAC))
        .addRules(BootRule.newBuilder().setGroup("g").addMenu("alpha").addMenu("ghost")).build(), 422,
        "rules[1].menu");
  }

  @Test
  void malformedRulesAreA400() {
    assertRefused(BootPolicy.newBuilder().addRules(BootRule.newBuilder().setImage("alpha")).build(), 400,
        "exactly one of mac or group");
    assertRefused(BootPolicy.newBuilder().addRules(BootRule.newBuilder().setMac(MAC).setGroup("lab")).build(), 400,
        "exactly one of mac or group");
    assertRefused(BootPolicy.newBuilder().addRules(BootRule.newBuilder().setMac("zz:zz")).build(), 400,
        "not a MAC address");
    assertRefused(BootPolicy.newBuilder().addRules(BootRule.newBuilder().setMac(MAC).setMenuTimeoutSeconds(-2))
        .build(), 400, "menu_timeout_seconds");
    assertRefused(BootPolicy.newBuilder().setMenuTimeoutSeconds(-1).build(), 400, "menu_timeout_seconds");
    assertRefused(BootPolicy.newBuilder().putGroups("nope", "lab").build(), 400, "groups");
    assertRefused(BootPolicy.newBuilder().putGroups(MAC, " ").build(), 400, "group name");
    assertRefused(BootPolicy.newBuilder().putGroups("AA-BB-CC-DD-EE-01", "a").putGroups(MAC, "b").build(), 400,
        "listed twice");
  }
}
