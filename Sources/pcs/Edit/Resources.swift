import CIB

/// Looking resources up in `/cib/configuration/resources`.
enum Resources {
  static let kinds: Set<String> = ["primitive", "group", "clone", "master", "bundle"]

  /// Path of the resource (primitive, group, clone, master, bundle) with this id, anywhere under resources.
  static func find(_ id: String, in cib: CIBElement) -> ElementPath? {
    guard let conf = cib.childIndex(named: "configuration"),
      let res = cib[path: [conf]].childIndex(named: "resources")
    else { return nil }
    return cib[path: [conf, res]].firstPath { kinds.contains($0.name) && $0.id == id }.map { [conf, res] + $0 }
  }

  static func resourcesPath(_ cib: inout CIBElement) -> ElementPath { Section.path("resources", &cib) }

  /// Every primitive in document order.
  static func primitives(_ cib: CIBElement) -> [CIBElement] {
    guard let res = Section.find("resources", in: cib) else { return [] }
    var out: [CIBElement] = []
    res.forEachDescendant { if $0.name == "primitive" { out.append($0) } }
    return out
  }

  static func agentName(_ p: CIBElement) -> String {
    [p[attribute: "class"], p[attribute: "provider"], p[attribute: "type"]].compactMap { $0 }.joined(separator: ":")
  }

  static func isStonith(_ p: CIBElement) -> Bool { p.name == "primitive" && p[attribute: "class"] == "stonith" }

  /// The parent element's path (nil for top-level resources).
  static func parent(of path: ElementPath, in cib: CIBElement) -> ElementPath? {
    let p = Array(path.dropLast())
    return kinds.contains(cib[path: p].name) ? p : nil
  }
}
