/// One element of a CIB document, as a plain value: the lossless layer under the typed model.
///
/// Why it exists: a CIB from a real cluster carries elements and attributes Vigil does not model
/// (newer schema features, vendor extensions, comments). Keeping the document as a tree of values lets
/// every tool rewrite exactly what it changed and carry the rest through untouched.
/// Invariant: attribute order and child order are the document's order; attribute names are unique.
/// libxml2 types never appear here; the parser and serializer in this module convert at the edge.
public struct CIBElement: Equatable, Hashable, Sendable {
  public var name: String
  public var attributes: [CIBAttribute]
  public var children: [CIBContent]

  public init(_ name: String, attributes: [CIBAttribute] = [], children: [CIBContent] = []) {
    self.name = name
    self.attributes = attributes
    self.children = children
  }

  /// Builds an element from ordered (name, value) pairs, the way pcs writes them.
  public init(_ name: String, _ pairs: KeyValuePairs<String, String>, children: [CIBElement] = []) {
    self.name = name
    self.attributes = pairs.map { CIBAttribute(name: $0.key, value: $0.value) }
    self.children = children.map { .element($0) }
  }

  public subscript(attribute name: String) -> String? {
    get { attributes.first { $0.name == name }?.value }
    set {
      if let index = attributes.firstIndex(where: { $0.name == name }) {
        if let newValue { attributes[index].value = newValue } else { attributes.remove(at: index) }
      } else if let newValue {
        attributes.append(CIBAttribute(name: name, value: newValue))
      }
    }
  }

  /// The `id` attribute, which most CIB elements carry.
  public var id: String? { self[attribute: "id"] }

  /// Child elements in document order (text and comments skipped).
  public var elements: [CIBElement] {
    children.compactMap { if case .element(let e) = $0 { e } else { nil } }
  }

  public func elements(named name: String) -> [CIBElement] { elements.filter { $0.name == name } }

  public func firstElement(named name: String) -> CIBElement? {
    for child in children { if case .element(let e) = child, e.name == name { return e } }
    return nil
  }

  /// Concatenated text content of direct text and CDATA children.
  public var text: String {
    children.reduce(into: "") { acc, c in
      switch c {
      case .text(let s), .cdata(let s): acc += s
      default: break
      }
    }
  }

  /// Calls `body` on this element and every descendant element, depth first, in document order.
  public func forEachDescendant(_ body: (CIBElement) throws -> Void) rethrows {
    try body(self)
    for child in children { if case .element(let e) = child { try e.forEachDescendant(body) } }
  }

  /// Index (into `children`) of the first child element named `name`, if any.
  public func childIndex(named name: String) -> Int? {
    children.firstIndex { if case .element(let e) = $0 { e.name == name } else { false } }
  }

  /// Index (into `children`) of the first child element whose `id` is `id`, if any.
  public func childIndex(id: String) -> Int? {
    children.firstIndex { if case .element(let e) = $0 { e.id == id } else { false } }
  }

  public mutating func append(_ element: CIBElement) { children.append(.element(element)) }
}

/// One attribute of a CIB element; order is kept by `CIBElement.attributes`.
public struct CIBAttribute: Equatable, Hashable, Sendable {
  public var name: String
  public var value: String
  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// What an element may contain, in document order.
public enum CIBContent: Equatable, Hashable, Sendable {
  case element(CIBElement)
  case text(String)
  case cdata(String)
  case comment(String)
  case processingInstruction(target: String, data: String)
}
