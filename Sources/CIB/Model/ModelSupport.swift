// How the typed model stays lossless: every typed value keeps the element it was decoded from
// (`source`) and holds attribute values as the document's exact text. Encoding starts from `source`,
// writes back only the attributes the model knows (unchanged text stays byte-identical, in place), and
// merges typed child lists into the child slots of their own kinds, so comments, text and elements the
// model does not know stay where they were. Typed readings (Score, Milliseconds, enums) are computed
// properties over the stored text; setting one writes Pacemaker's canonical spelling.

/// Typed child values of one kind, merged back into the slots that kind occupies.
struct ChildSlots {
  let matches: (CIBElement) -> Bool
  let elements: [CIBElement]

  init(_ names: Set<String>, _ elements: [CIBElement]) {
    self.matches = { names.contains($0.name) }
    self.elements = elements
  }
  init(_ name: String, _ elements: [CIBElement]) {
    self.matches = { $0.name == name }
    self.elements = elements
  }
}

/// The optional attributes a typed value keeps as text, each with the property that holds it, in the order encoding
/// adds new ones. Decoding and encoding both walk this one list, so no attribute can be read under one name and
/// written under another, or read and never written back.
struct AttributeMap<Model>: Sendable {
  struct Field: Sendable {
    let name: String
    let text: @Sendable (Model) -> String?
    let assign: @Sendable (inout Model, String?) -> Void

    /// An attribute held as text (String) or as a typed identifier (ResourceID, NodeName...).
    static func text<Value: AttributeText>(_ name: String, _ property: WritableKeyPath<Model, Value?> & Sendable) -> Field {
      Field(
        name: name, text: { $0[keyPath: property]?.attributeText },
        assign: { model, text in model[keyPath: property] = text.map(Value.init(attributeText:)) })
    }
  }

  let fields: [Field]
  init(_ fields: [Field]) { self.fields = fields }

  func read(_ element: CIBElement, into model: inout Model) {
    for field in fields { field.assign(&model, element[attribute: field.name]) }
  }

  func write(_ model: Model, into element: inout CIBElement) {
    for field in fields { element.write(field.name, field.text(model)) }
  }
}

/// A value stored as an attribute's exact text.
protocol AttributeText {
  init(attributeText: String)
  var attributeText: String { get }
}

extension String: AttributeText {
  init(attributeText: String) { self = attributeText }
  var attributeText: String { self }
}

extension CIBElement {
  /// Writes an attribute only when its text differs, so an unchanged value keeps its place and form;
  /// nil removes it.
  mutating func write(_ name: String, _ value: String?) {
    if self[attribute: name] != value { self[attribute: name] = value }
  }

  /// Writes a non-optional field (an id, a uname): an empty value for an attribute the source never had
  /// means "absent", so a document without it round-trips unchanged.
  mutating func writeRequired(_ name: String, _ value: String) {
    if value.isEmpty, self[attribute: name] == nil { return }
    write(name, value)
  }

  /// Puts each list's elements into the child slots its kind occupies, in order: the k-th element of
  /// a kind replaces the k-th child of that kind, surplus children of the kind are removed, and extra
  /// elements go right after the kind's last slot (or at the end when the kind had none).
  mutating func mergeChildren(_ lists: [ChildSlots]) {
    guard !lists.isEmpty else { return }
    var lastIndex = [Int](repeating: -1, count: lists.count)
    var kindOf = [Int](repeating: -1, count: children.count)
    for (i, child) in children.enumerated() {
      guard case .element(let e) = child else { continue }
      if let k = lists.firstIndex(where: { $0.matches(e) }) {
        kindOf[i] = k
        lastIndex[k] = i
      }
    }
    var next = [Int](repeating: 0, count: lists.count)
    var merged: [CIBContent] = []
    merged.reserveCapacity(children.count)
    for (i, child) in children.enumerated() {
      let k = kindOf[i]
      if k < 0 {
        merged.append(child)
        continue
      }
      if next[k] < lists[k].elements.count {
        merged.append(.element(lists[k].elements[next[k]]))
        next[k] += 1
      }
      if i == lastIndex[k] {
        while next[k] < lists[k].elements.count {
          merged.append(.element(lists[k].elements[next[k]]))
          next[k] += 1
        }
      }
    }
    for k in lists.indices where lastIndex[k] < 0 {
      for e in lists[k].elements { merged.append(.element(e)) }
    }
    if merged != children { children = merged }
  }

  /// Runs `body` on the first child named `name`, creating it (with `id` when given) only when
  /// `create` is true; a wrapper that is absent and not needed stays absent.
  mutating func updateChild(named name: String, create: Bool, id: String? = nil,
                            _ body: (inout CIBElement) -> Void) {
    if let index = childIndex(named: name), case .element(var wrapper) = children[index] {
      body(&wrapper)
      children[index] = .element(wrapper)
    } else if create {
      var wrapper = CIBElement(name)
      if let id { wrapper[attribute: "id"] = id }
      body(&wrapper)
      append(wrapper)
    }
  }

  /// Child elements named `name`, decoded with `decode`, in document order.
  func decodeChildren<T>(named name: String, _ decode: (CIBElement) -> T) -> [T] {
    var out: [T] = []
    for child in children { if case .element(let e) = child, e.name == name { out.append(decode(e)) } }
    return out
  }
}

/// Pacemaker's boolean spelling (`crm_is_true`): true/on/yes/y/1 and false/off/no/n/0, any case.
func parseBoolean(_ text: String?) -> Bool? {
  guard let text else { return nil }
  switch text.lowercased() {
  case "true", "on", "yes", "y", "1": return true
  case "false", "off", "no", "n", "0": return false
  default: return nil
  }
}

/// Integer attribute text as Pacemaker's strict readers take it (whole string, optional sign).
func parseInteger(_ text: String?) -> Int? {
  guard let text else { return nil }
  return Int(text.trimmingASCIISpaces)
}

extension String {
  var trimmingASCIISpaces: Substring {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
    return s
  }
}
