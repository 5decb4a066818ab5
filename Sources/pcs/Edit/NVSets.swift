import CIB

/// Name/value sets (`instance_attributes`, `meta_attributes`, `utilization`, `cluster_property_set`):
/// pcs's ways of creating and updating them.
enum NVSets {
  /// A new set with its pairs sorted by name (`append_new_nvset`); empty values are skipped.
  static func newSet(
    _ tag: String, id: String, pairs: [(String, String)], ids: inout IdProvider
  ) -> CIBElement {
    var set = CIBElement(tag, ["id": id])
    for (name, value) in pairs.sorted(by: { $0.0 < $1.0 }) where !value.isEmpty {
      set.append(CIBElement("nvpair", ["id": ids.subelementId(id, name), "name": name, "value": value]))
    }
    return set
  }

  /// Sets, adds (appended, in the given order) or removes (empty value) pairs of the set at `path`;
  /// the set element itself is never removed (pcs keeps it for ACLs, bz1642514).
  static func update(_ cib: inout CIBElement, set path: ElementPath, pairs: [(String, String)], ids: inout IdProvider) {
    var set = cib[path: path]
    let setId = set.id ?? set.name
    for (name, value) in pairs {
      let existing = set.children.firstIndex { c in
        if case .element(let e) = c { e.name == "nvpair" && e[attribute: "name"] == name } else { false }
      }
      if value.isEmpty {
        if let i = existing { set.children.remove(at: i) }
      } else if let i = existing, case .element(var nv) = set.children[i] {
        nv[attribute: "value"] = value
        set.children[i] = .element(nv)
      } else {
        set.append(CIBElement("nvpair", ["id": ids.subelementId(setId, name), "name": name, "value": value]))
      }
    }
    cib[path: path] = set
  }

  /// The pairs of a set in document order.
  static func pairs(_ set: CIBElement) -> [(name: String, value: String)] {
    set.elements(named: "nvpair").map { ($0[attribute: "name"] ?? "", $0[attribute: "value"] ?? "") }
  }

  /// Value of `name` in the first set named `tag` of `element`.
  static func value(_ element: CIBElement, tag: String, name: String) -> String? {
    for set in element.elements(named: tag) {
      for nv in set.elements(named: "nvpair") where nv[attribute: "name"] == name { return nv[attribute: "value"] }
    }
    return nil
  }
}

/// pcs's `name=value` arguments.
enum KeyValues {
  /// Splits `k=v` words; a word without `=` is pcs's parse error `missing value of 'k' option`.
  static func parse(_ words: [String]) throws(PcsFailure) -> [(String, String)] {
    var out: [(String, String)] = []
    for w in words {
      guard let eq = w.firstIndex(of: "=") else { throw .legacy("missing value of '\(w)' option") }
      out.append((String(w[..<eq]), String(w[w.index(after: eq)...])))
    }
    return out
  }
}
