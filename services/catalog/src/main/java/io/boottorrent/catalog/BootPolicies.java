package io.boottorrent.catalog;

import io.boottorrent.core.MacAddress;
import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootRule;
import io.boottorrent.proto.ImageManifest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The boot policy as pure functions: which image (and which menu) a machine gets, and what a valid
 * policy is. No I/O; {@link ImageStore} persists the policy, the verticle serves the result.
 *
 * <p>Matching: the first rule whose MAC equals the machine's wins; otherwise the first group rule for
 * the machine's group ({@code policy.groups}); otherwise the policy default. Images named by a rule
 * or the policy that no longer exist (deleted after the policy was stored) are skipped, falling back
 * to what an unknown machine would get: the rule's menu to every image, the rule's image to the
 * policy default, the policy default to the first image by name. The default image is always part
 * of the menu.
 */
public final class BootPolicies {
  /** The value of {@link BootRule#getMenuTimeoutSeconds()} that means "the policy's timeout". */
  public static final int POLICY_TIMEOUT = -1;
  public static final String MATCHED_MAC = "mac";
  public static final String MATCHED_DEFAULT = "default";
  public static final String MATCHED_GROUP_PREFIX = "group:";

  private static final int MAX_GROUP_NAME = 64;

  /**
   * For {@link #validate} of a stored policy: every name is taken as an existing image, since images a
   * policy names may have been deleted after it was stored ({@link #assign} skips them).
   */
  static final Set<String> ANY_IMAGE = new java.util.AbstractSet<>() {
    @Override
    public boolean contains(Object o) {
      return o instanceof String;
    }

    @Override
    public java.util.Iterator<String> iterator() {
      throw new UnsupportedOperationException("every name");
    }

    @Override
    public int size() {
      return Integer.MAX_VALUE;
    }
  };

  private BootPolicies() {}

  /** The policy in force before any PUT: boot the first image by name, menu for {@code timeout} s. */
  public static BootPolicy defaultPolicy(int menuTimeoutSeconds) {
    return BootPolicy.newBuilder().setMenuTimeoutSeconds(menuTimeoutSeconds).build();
  }

  /** A MAC in any spelling {@link MacAddress} accepts, canonical; empty if it is none. */
  static Optional<String> canonicalMac(String mac) {
    return MacAddress.tryParse(mac).map(MacAddress::canonical);
  }

  /**
   * The machine a request names.
   *
   * @throws CatalogException 400 if {@code mac} is not a MAC address
   */
  public static MacAddress machine(String mac) {
    try {
      return MacAddress.parse(mac);
    } catch (IllegalArgumentException e) {
      throw CatalogException.badRequest(e.getMessage());
    }
  }

  /**
   * What machine {@code mac} boots under {@code policy} given the catalog's {@code images}.
   * The menu's manifests never carry torrent bytes.
   *
   * @throws CatalogException 400 if {@code mac} is not a MAC address
   */
  public static BootAssignment assign(BootPolicy policy, String mac, Collection<ImageManifest> images) {
    String machine = machine(mac).canonical();
    Map<String, ImageManifest> byName = new TreeMap<>();
    for (ImageManifest image : images) {
      byName.put(image.getName(), image.toBuilder().clearTorrent().build());
    }

    BootRule rule = null;
    String matched = MATCHED_DEFAULT;
    for (BootRule r : policy.getRulesList()) {
      if (!r.getMac().isEmpty() && canonicalMac(r.getMac()).filter(machine::equals).isPresent()) {
        rule = r;
        matched = MATCHED_MAC;
        break;
      }
    }
    if (rule == null) {
      String group = groupOf(policy, machine);
      if (group != null) {
        for (BootRule r : policy.getRulesList()) {
          if (r.getMac().isEmpty() && r.getGroup().equals(group)) {
            rule = r;
            matched = MATCHED_GROUP_PREFIX + group;
            break;
          }
        }
      }
    }

    LinkedHashSet<String> menu = new LinkedHashSet<>();
    if (rule != null) {
      for (String name : rule.getMenuList()) {
        if (byName.containsKey(name)) {
          menu.add(name);
        }
      }
    }
    if (menu.isEmpty()) {
      menu.addAll(byName.keySet());
    }

    String defaultImage;
    if (rule != null && byName.containsKey(rule.getImage())) {
      defaultImage = rule.getImage();
      if (!menu.contains(defaultImage)) {
        LinkedHashSet<String> withDefault = new LinkedHashSet<>();
        withDefault.add(defaultImage);
        withDefault.addAll(menu);
        menu = withDefault;
      }
    } else if (menu.contains(policy.getDefaultImage())) {
      defaultImage = policy.getDefaultImage();
    } else {
      defaultImage = menu.isEmpty() ? "" : menu.iterator().next();
    }

    int timeout = rule != null && rule.getMenuTimeoutSeconds() != POLICY_TIMEOUT
        ? rule.getMenuTimeoutSeconds()
        : policy.getMenuTimeoutSeconds();
    BootAssignment.Builder out = BootAssignment.newBuilder()
        .setMac(machine)
        .setDefaultImage(defaultImage)
        .setMenuTimeoutSeconds(timeout)
        .setSkipMenu(rule != null && rule.getSkipMenu())
        .setMatchedRule(matched);
    for (String name : menu) {
      out.addMenu(byName.get(name));
    }
    if (rule != null && rule.getPieceStripes() && !rule.getGroup().isEmpty()) {
      List<String> members = membersOf(policy, rule.getGroup());
      int index = members.indexOf(machine);
      if (index >= 0) {
        out.setStripeIndex(index).setStripeCount(members.size());
      }
    }
    return out.build();
  }

  /** The normalised MACs of a group's members, in order: a member's index is its stripe. */
  static List<String> membersOf(BootPolicy policy, String group) {
    TreeSet<String> members = new TreeSet<>();
    for (Map.Entry<String, String> e : policy.getGroupsMap().entrySet()) {
      if (e.getValue().equals(group)) {
        canonicalMac(e.getKey()).ifPresent(members::add);
      }
    }
    return new ArrayList<>(members);
  }

  private static String groupOf(BootPolicy policy, String machine) {
    String direct = policy.getGroupsMap().get(machine);
    if (direct != null) {
      return direct;
    }
    // A policy not stored through validate() may hold MACs in another spelling.
    for (Map.Entry<String, String> e : policy.getGroupsMap().entrySet()) {
      if (canonicalMac(e.getKey()).filter(machine::equals).isPresent()) {
        return e.getValue();
      }
    }
    return null;
  }

  /**
   * Checks a policy an operator PUTs and returns it normalised (MACs as {@code aa:bb:cc:dd:ee:ff},
   * group names trimmed, duplicate menu entries dropped).
   *
   * @throws CatalogException 400 for a malformed MAC, a rule with neither or both of mac/group, a
   *     negative timeout (rules: below -1) or a blank group; 422 for an image name that is not in
   *     {@code existingImages}
   */
  public static BootPolicy validate(BootPolicy policy, Set<String> existingImages) {
    BootPolicy.Builder out = BootPolicy.newBuilder();
    String defaultImage = policy.getDefaultImage().trim();
    if (!defaultImage.isEmpty()) {
      requireImage(existingImages, defaultImage, "default_image");
    }
    out.setDefaultImage(defaultImage);
    if (policy.getMenuTimeoutSeconds() < 0) {
      throw CatalogException.badRequest(
          "menu_timeout_seconds must be >= 0, got " + policy.getMenuTimeoutSeconds());
    }
    out.setMenuTimeoutSeconds(policy.getMenuTimeoutSeconds());

    List<BootRule> rules = policy.getRulesList();
    for (int i = 0; i < rules.size(); i++) {
      out.addRules(validateRule(rules.get(i), "rules[" + i + "]", existingImages));
    }

    Map<String, String> groups = new TreeMap<>();
    for (Map.Entry<String, String> e : policy.getGroupsMap().entrySet()) {
      String mac = canonicalMac(e.getKey()).orElseThrow(() -> CatalogException.badRequest(
          "groups: not a MAC address: '" + e.getKey() + "'"));
      String group = validGroup(e.getValue(), "groups[" + e.getKey() + "]");
      String previous = groups.put(mac, group);
      if (previous != null && !previous.equals(group)) {
        throw CatalogException.badRequest(
            "groups: " + mac + " is listed twice, in '" + previous + "' and '" + group + "'");
      }
    }
    out.putAllGroups(groups);
    return out.build();
  }

  private static BootRule validateRule(BootRule rule, String where, Set<String> existingImages) {
    boolean hasMac = !rule.getMac().isBlank();
    boolean hasGroup = !rule.getGroup().isBlank();
    if (hasMac == hasGroup) {
      throw CatalogException.badRequest(where + ": a rule needs exactly one of mac or group");
    }
    BootRule.Builder out = rule.toBuilder().clearMenu();
    if (hasMac) {
      out.setMac(canonicalMac(rule.getMac()).orElseThrow(() -> CatalogException.badRequest(
          where + ": not a MAC address: '" + rule.getMac() + "'"))).clearGroup();
    } else {
      out.setGroup(validGroup(rule.getGroup(), where)).clearMac();
    }
    if (!rule.getImage().isEmpty()) {
      requireImage(existingImages, rule.getImage(), where + ".image");
    }
    List<String> menu = new ArrayList<>();
    for (String name : rule.getMenuList()) {
      requireImage(existingImages, name, where + ".menu");
      if (!menu.contains(name)) {
        menu.add(name);
      }
    }
    out.addAllMenu(menu);
    if (rule.getPieceStripes() && hasMac) {
      throw CatalogException.badRequest(where + ": piece_stripes needs a group rule (the group's members share"
          + " the stripes)");
    }
    if (rule.getMenuTimeoutSeconds() < POLICY_TIMEOUT) {
      throw CatalogException.badRequest(where + ": menu_timeout_seconds must be >= -1 (-1 = policy default), got "
          + rule.getMenuTimeoutSeconds());
    }
    return out.build();
  }

  private static String validGroup(String group, String where) {
    String g = group.trim();
    if (g.isEmpty() || g.length() > MAX_GROUP_NAME) {
      throw CatalogException.badRequest(where + ": group name must be 1.." + MAX_GROUP_NAME + " characters");
    }
    return g;
  }

  private static void requireImage(Set<String> existingImages, String name, String where) {
    if (!existingImages.contains(name)) {
      throw CatalogException.unprocessable(where + ": no image named '" + name + "'");
    }
  }
}
