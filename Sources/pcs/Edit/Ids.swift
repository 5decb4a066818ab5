import CIB

/// pcs's id rules: validity (an XML NCName subset), sanitizing generated ids, and uniqueness across the
/// configuration (never `<status>`), with a booking set so ids made in one command never collide.
struct IdProvider {
  private var used: Set<String>

  /// Collects every id in the CIB except under `<status>` and except the reference-like elements pcs skips.
  init(_ cib: CIBElement) {
    var ids = Set<String>()
    func visit(_ e: CIBElement) {
      if e.name == "status" { return }
      if !["acl_target", "role", "obj_ref", "resource_ref"].contains(e.name), let id = e.id { ids.insert(id) }
      if e.name == "primitive" {
        // A remote node's name counts as an id too.
        for meta in e.elements(named: "meta_attributes") {
          for nv in meta.elements(named: "nvpair") where nv[attribute: "name"] == "remote-node" {
            if let v = nv[attribute: "value"] { ids.insert(v) }
          }
        }
      }
      for c in e.elements { visit(c) }
    }
    visit(cib)
    used = ids
  }

  func exists(_ id: String) -> Bool { used.contains(id) }

  /// `id` itself if free, else `id-1`, `id-2`, ...; the result is booked.
  mutating func allocate(_ id: String) -> String {
    var candidate = id
    var n = 1
    while used.contains(candidate) {
      candidate = "\(id)-\(n)"
      n += 1
    }
    used.insert(candidate)
    return candidate
  }

  /// `sanitize("<parent id>-<suffix>")`, made unique.
  mutating func subelementId(_ parentId: String, _ suffix: String) -> String {
    allocate(Ids.sanitize("\(parentId)-\(suffix)"))
  }

  mutating func book(_ id: String) { used.insert(id) }
}

enum Ids {
  static func isFirstChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
  static func isRestChar(_ c: Character) -> Bool {
    c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "." || c == "-")
  }

  /// Drops a bad first character and every invalid later character (pcs's `sanitize_id`).
  static func sanitize(_ id: String) -> String {
    var out = ""
    var chars = Substring(id)
    while let f = chars.first, !isFirstChar(f) { chars = chars.dropFirst() }
    for c in chars where isRestChar(c) { out.append(c) }
    return out
  }

  /// `nil` when valid, else pcs's message (`invalid resource name '1bad', '1' is not a valid first ...`).
  static func invalidReason(_ id: String, description: String) -> String? {
    guard let first = id.first else { return "\(description) cannot be empty" }
    if !isFirstChar(first) {
      return "invalid \(description) '\(id)', '\(first)' is not a valid first character for a \(description)"
    }
    for c in id.dropFirst() where !isRestChar(c) {
      return "invalid \(description) '\(id)', '\(c)' is not a valid character for a \(description)"
    }
    return nil
  }
}
