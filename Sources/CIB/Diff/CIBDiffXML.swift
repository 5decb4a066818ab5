extension CIBDiff {
  /// The diff as a Pacemaker-style v2 patchset (`<diff format="2">`, what `crm_diff` prints and the DC
  /// broadcasts), for people and for tools that read Pacemaker's format. `old` must be the document the diff
  /// applies to: attribute changes are rendered as set/unset against its attributes at that point.
  ///
  /// Paths use `tag[@id='x']` for elements with an id and `tag` (or `tag[n]` for the n-th of several) otherwise;
  /// `move` and `create` carry the 0-based `position` among all children, as Pacemaker's do.
  public func patchset(applyingTo old: CIBElement) throws(CIBError) -> CIBElement {
    var diff = CIBElement("diff", ["format": "2"])
    var version = CIBElement("version")
    if let source {
      version.append(CIBElement("source", attributes: Self.versionAttributes(source)))
    }
    if let target {
      version.append(CIBElement("target", attributes: Self.versionAttributes(target)))
    }
    diff.append(version)
    var document = old
    for op in operations {
      var change: CIBElement
      switch op {
      case .setAttributes(let path, let attributes):
        let before = try Self.element(at: path, in: document).attributes
        change = CIBElement("change", ["operation": "modify", "path": Self.xpath(path, root: document.name)])
        var list = CIBElement("change-list")
        for a in attributes where before.first(where: { $0.name == a.name })?.value != a.value {
          list.append(CIBElement("change-attr", ["name": a.name, "operation": "set", "value": a.value]))
        }
        for b in before where !attributes.contains(where: { $0.name == b.name }) {
          list.append(CIBElement("change-attr", ["name": b.name, "operation": "unset"]))
        }
        change.append(list)
        var result = try Self.element(at: path, in: document)
        result.attributes = attributes
        result.children = []
        change.append(CIBElement("change-result", [:], children: [result]))
      case .create(let parent, let position, let content):
        change = CIBElement(
          "change",
          ["operation": "create", "path": Self.xpath(parent, root: document.name), "position": String(position)])
        change.children.append(content)
      case .delete(let parent, let key):
        change = CIBElement("change", ["operation": "delete", "path": Self.xpath(parent + [key], root: document.name)])
      case .move(let parent, let key, let position):
        change = CIBElement(
          "change",
          ["operation": "move", "path": Self.xpath(parent + [key], root: document.name), "position": String(position)])
      case .replaceRoot(let element):
        change = CIBElement("change", ["operation": "create", "path": "/", "position": "0"])
        change.append(element)
      }
      diff.append(change)
      document = try CIBDiff(operations: [op]).apply(to: document)
    }
    return diff
  }

  static func versionAttributes(_ v: CIBVersion) -> [CIBAttribute] {
    [
      CIBAttribute(name: "admin_epoch", value: String(v.adminEpoch)),
      CIBAttribute(name: "epoch", value: String(v.epoch)),
      CIBAttribute(name: "num_updates", value: String(v.numUpdates)),
    ]
  }

  static func element(at path: [NodeKey], in root: CIBElement) throws(CIBError) -> CIBElement {
    var current = root
    for (depth, key) in path.enumerated() {
      guard let i = key.index(in: current.children), case .element(let next) = current.children[i] else {
        throw .patchDoesNotApply(path: render(Array(path[...depth])), reason: "no such element")
      }
      current = next
    }
    return current
  }

  static func xpath(_ path: [NodeKey], root: String) -> String {
    var out = "/" + root
    for key in path {
      switch key.kind {
      case .element:
        out += "/" + key.name
        if let id = key.id {
          out += "[@id='\(id)']"
          if key.ordinal > 0 { out += "[\(key.ordinal + 1)]" }
        } else if key.ordinal > 0 {
          out += "[\(key.ordinal + 1)]"
        }
      case .text: out += "/text()[\(key.ordinal + 1)]"
      case .cdata: out += "/text()[\(key.ordinal + 1)]"
      case .comment: out += "/comment()[\(key.ordinal + 1)]"
      case .processingInstruction: out += "/processing-instruction('\(key.name)')[\(key.ordinal + 1)]"
      }
    }
    return out
  }
}
