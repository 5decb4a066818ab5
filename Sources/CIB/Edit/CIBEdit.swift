/// The edits `cibadmin` performs on a CIB, as pure functions from a document and a request to a new document.
///
/// Why it exists: the same edits serve cibadmin on a file today and the CIB service on a live cluster later;
/// keeping them here (not in the executable) makes them testable without processes. Semantics follow
/// Pacemaker 2.1.5's cibadmin, checked against the real tool on copies of files:
/// - create: append the object to the section; an element with the same tag and id directly in the section
///   is an error (`.alreadyExists`). An object named like the section adds each of its children.
/// - modify: find the first element (document order, section included) with the object's tag and id and
///   merge the object into it (attributes set, `name++` / `name+=N` expanded, children merged by tag and id);
///   missing target is `.notFound` unless `allowCreate`.
/// - replace: a whole `<cib>` replaces the document unless its version is older; an object named like the
///   section replaces the section; otherwise the first element with the object's tag and id is replaced.
/// - delete: remove the first element whose tag matches and which has every attribute of the object with
///   the same value; nothing matching is not an error.
/// Versions are not touched here; callers stamp them with `CIBVersion.stamp(_:after:)`.
public enum CIBEdit {
  /// The element `cibadmin --query` prints: the section (or the whole document when `section` is nil).
  public static func query(_ root: CIBElement, section: CIBSection?) throws(CIBError) -> CIBElement {
    guard let section else { return root }
    guard let element = root.element(of: section) else { throw .notFound("section <\(section.rawValue)>") }
    return element
  }

  public static func create(_ object: CIBElement, in section: CIBSection?, of root: inout CIBElement)
    throws(CIBError)
  {
    // Like Pacemaker: without a section (or for a whole <cib>), create behaves as modify.
    guard let section, object.name != "cib" else {
      return try modify(object, in: section, allowCreate: false, of: &root)
    }
    try withSection(section, of: &root) { (container: inout CIBElement) throws(CIBError) in
      let additions = object.name == section.rawValue ? object.elements : [object]
      for addition in additions {
        if let id = addition.id, container.elements.contains(where: { $0.name == addition.name && $0.id == id }) {
          throw .alreadyExists(tag: addition.name, id: id, parent: container.name)
        }
        container.append(addition)
      }
    }
  }

  public static func modify(
    _ object: CIBElement, in section: CIBSection?, allowCreate: Bool, of root: inout CIBElement
  ) throws(CIBError) {
    if let section, root.element(of: section) == nil {
      guard allowCreate else { throw .notFound("section <\(section.rawValue)>") }
      try createSection(section, in: &root)
    }
    var found = false
    try withScope(section, of: &root) { (scope: inout CIBElement) throws(CIBError) in
      found = mergeIntoFirstMatch(object, in: &scope)
      if !found {
        guard allowCreate else { throw .notFound(describe(object) + " in " + (section.map { "<\($0.rawValue)>" } ?? "the CIB")) }
        scope.append(object)
      }
    }
  }

  public static func replace(_ object: CIBElement, in section: CIBSection?, of root: inout CIBElement)
    throws(CIBError)
  {
    if object.name == "cib" {
      let current = try CIBVersion(of: root)
      let update = try CIBVersion(of: object)
      guard update >= current else { throw .olderThanCurrent(current: current, update: update) }
      root = object
      return
    }
    if let section, object.name == section.rawValue {
      guard root.element(of: section) != nil else { throw .notFound("section <\(section.rawValue)>") }
      try withSection(section, of: &root) { (container: inout CIBElement) throws(CIBError) in container = object }
      return
    }
    var found = false
    try withScope(section, of: &root) { (scope: inout CIBElement) throws(CIBError) in
      found = replaceFirstMatch(object, in: &scope)
    }
    guard found else { throw .notFound(describe(object)) }
  }

  public static func delete(_ object: CIBElement, in section: CIBSection?, of root: inout CIBElement)
    throws(CIBError)
  {
    try withScope(section, of: &root) { (scope: inout CIBElement) throws(CIBError) in
      _ = deleteFirstMatch(object, in: &scope)
    }
  }

  /// An empty CIB as `cibadmin --empty` prints it (Pacemaker 2.1.5's feature set and schema).
  public static func emptyCIB(validateWith: String = "pacemaker-3.9") -> CIBElement {
    emptyCIB([
      "crm_feature_set": "3.16.1", "validate-with": validateWith, "epoch": "1", "num_updates": "0", "admin_epoch": "0",
    ])
  }

  /// An empty CIB (the four configuration sections and an empty status) whose root has `rootAttributes`, in that
  /// order: each writer keeps the attributes and order of the tool it imitates (cibadmin, pcs, a new clusterd).
  public static func emptyCIB(_ rootAttributes: KeyValuePairs<String, String>) -> CIBElement {
    CIBElement(
      "cib", rootAttributes,
      children: [
        CIBElement(
          "configuration", [:],
          children: [
            CIBElement("crm_config"), CIBElement("nodes"), CIBElement("resources"), CIBElement("constraints"),
          ]),
        CIBElement("status"),
      ])
  }

  // MARK: - matching

  static func describe(_ e: CIBElement) -> String {
    if let id = e.id { return "<\(e.name) id=\"\(id)\">" }
    return "<\(e.name)>"
  }

  /// Pre-order search from `element` itself; merges into the first element with the same tag and id.
  static func mergeIntoFirstMatch(_ object: CIBElement, in element: inout CIBElement) -> Bool {
    if element.name == object.name && element.id == object.id {
      merge(object, into: &element)
      return true
    }
    for i in element.children.indices {
      guard case .element(var child) = element.children[i] else { continue }
      element.children[i] = .text("")
      let done = mergeIntoFirstMatch(object, in: &child)
      element.children[i] = .element(child)
      if done { return true }
    }
    return false
  }

  /// Pacemaker's merge for modify: set attributes (with `name++` / `name+=N`), merge children matched by
  /// tag and id (first of that tag when the update child has no id), append unmatched children.
  static func merge(_ update: CIBElement, into target: inout CIBElement) {
    for attribute in update.attributes {
      target[attribute: attribute.name] = expandIncrement(
        attribute.value, name: attribute.name, current: target[attribute: attribute.name])
    }
    for updateChild in update.elements {
      if let i = target.children.firstIndex(where: {
        if case .element(let e) = $0 { e.name == updateChild.name && e.id == updateChild.id } else { false }
      }), case .element(var existing) = target.children[i] {
        target.children[i] = .text("")
        merge(updateChild, into: &existing)
        target.children[i] = .element(existing)
      } else {
        target.append(updateChild)
      }
    }
  }

  /// `value` as Pacemaker's expand_plus_plus reads it: "epoch++" becomes current+1, "epoch+=5" current+5,
  /// where the name must be the attribute's own; anything else is taken literally. A missing or non-numeric
  /// current value counts as 0.
  static func expandIncrement(_ value: String, name: String, current: String?) -> String {
    guard value.hasPrefix(name) else { return value }
    let rest = value.dropFirst(name.count)
    let base = current.flatMap { Int64($0) } ?? 0
    if rest == "++" { return String(base &+ 1) }
    if rest.hasPrefix("+="), let step = Int64(rest.dropFirst(2)) { return String(base &+ step) }
    return value
  }

  static func replaceFirstMatch(_ object: CIBElement, in element: inout CIBElement) -> Bool {
    for i in element.children.indices {
      guard case .element(var child) = element.children[i] else { continue }
      if child.name == object.name && child.id == object.id {
        element.children[i] = .element(object)
        return true
      }
      element.children[i] = .text("")
      let done = replaceFirstMatch(object, in: &child)
      element.children[i] = .element(child)
      if done { return true }
    }
    return false
  }

  static func deleteFirstMatch(_ object: CIBElement, in element: inout CIBElement) -> Bool {
    for i in element.children.indices {
      guard case .element(var child) = element.children[i] else { continue }
      if child.name == object.name
        && object.attributes.allSatisfy({ child[attribute: $0.name] == $0.value })
      {
        element.children.remove(at: i)
        return true
      }
      element.children[i] = .text("")
      let done = deleteFirstMatch(object, in: &child)
      element.children[i] = .element(child)
      if done { return true }
    }
    return false
  }

  // MARK: - sections

  static func withScope(
    _ section: CIBSection?, of root: inout CIBElement, _ body: (inout CIBElement) throws(CIBError) -> Void
  ) throws(CIBError) {
    guard let section else { return try body(&root) }
    try withSection(section, of: &root, body)
  }

  static func withSection(
    _ section: CIBSection, of root: inout CIBElement, _ body: (inout CIBElement) throws(CIBError) -> Void
  ) throws(CIBError) {
    try withPath(section.path[...], of: &root, section: section, body)
  }

  private static func withPath(
    _ path: ArraySlice<String>, of element: inout CIBElement, section: CIBSection,
    _ body: (inout CIBElement) throws(CIBError) -> Void
  ) throws(CIBError) {
    guard let name = path.first else { return try body(&element) }
    guard let i = element.childIndex(named: name), case .element(var child) = element.children[i] else {
      let wrapped =
        section.path.count == 1
        ? "<cib><\(section.rawValue)/></cib>" : "<cib><configuration><\(section.rawValue)/></configuration></cib>"
      throw .invalidRequest(
        "section <\(section.rawValue)> does not exist; create it first with: "
          + "cibadmin --modify --xml-text '\(wrapped)'")
    }
    element.children[i] = .text("")
    defer { element.children[i] = .element(child) }
    try withPath(path.dropFirst(), of: &child, section: section, body)
  }

  static func createSection(_ section: CIBSection, in root: inout CIBElement) throws(CIBError) {
    if section.path.count == 2, root.firstElement(named: "configuration") == nil {
      root.append(CIBElement("configuration"))
    }
    if section.path.count == 1 {
      root.append(CIBElement(section.rawValue))
    } else {
      try withSection(.configuration, of: &root) { (c: inout CIBElement) throws(CIBError) in
        c.append(CIBElement(section.rawValue))
      }
    }
  }
}
