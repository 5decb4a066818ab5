extension CIBXML {
  /// Writes `root` as XML text the way Pacemaker's `cibadmin --query` prints a CIB: no XML declaration,
  /// two spaces of indentation per level, empty elements as `<x/>`, one element per line, newline at the end.
  ///
  /// Differences from Pacemaker 2.1.5, all on purpose so nothing is lost: text content is written (Pacemaker
  /// drops it), inline on the element's line; newline, carriage return and tab in attribute values are written
  /// as character references (`&#10;`), where Pacemaker writes `\n` and so changes the value.
  public static func serialize(_ root: CIBElement) -> String {
    var writer = XMLWriter()
    writer.bytes.reserveCapacity(64 * 1024)
    writer.element(root, depth: 0, pretty: true)
    return String(decoding: writer.bytes, as: UTF8.self)
  }

  /// Same as `serialize`, as UTF-8 bytes ready to be written to a file.
  public static func serializeBytes(_ root: CIBElement) -> [UInt8] {
    var writer = XMLWriter()
    writer.bytes.reserveCapacity(64 * 1024)
    writer.element(root, depth: 0, pretty: true)
    return writer.bytes
  }
}

/// Appends XML to a byte buffer; escaping works on UTF-8 bytes so no intermediate Strings are built.
struct XMLWriter {
  var bytes: [UInt8] = []

  mutating func element(_ e: CIBElement, depth: Int, pretty: Bool) {
    if pretty { indent(depth) }
    bytes.append(UInt8(ascii: "<"))
    raw(e.name)
    for attribute in e.attributes {
      bytes.append(UInt8(ascii: " "))
      raw(attribute.name)
      bytes.append(UInt8(ascii: "="))
      bytes.append(UInt8(ascii: "\""))
      escaped(attribute.value, attribute: true)
      bytes.append(UInt8(ascii: "\""))
    }
    if e.children.isEmpty {
      bytes.append(UInt8(ascii: "/"))
      bytes.append(UInt8(ascii: ">"))
      if pretty { bytes.append(UInt8(ascii: "\n")) }
      return
    }
    bytes.append(UInt8(ascii: ">"))
    // Text is significant: an element holding text (mixed content) is written inline, with no indentation
    // added inside it, so re-parsing yields exactly the same text.
    let childPretty = pretty && !e.children.contains { c in
      switch c {
      case .text, .cdata: true
      default: false
      }
    }
    if childPretty { bytes.append(UInt8(ascii: "\n")) }
    for child in e.children {
      switch child {
      case .element(let c):
        element(c, depth: depth + 1, pretty: childPretty)
      case .text(let s):
        escaped(s, attribute: false)
      case .cdata(let s):
        if childPretty { indent(depth + 1) }
        raw("<![CDATA[")
        raw(s)
        raw("]]>")
        if childPretty { bytes.append(UInt8(ascii: "\n")) }
      case .comment(let s):
        if childPretty { indent(depth + 1) }
        raw("<!--")
        raw(s)
        raw("-->")
        if childPretty { bytes.append(UInt8(ascii: "\n")) }
      case .processingInstruction(let target, let data):
        if childPretty { indent(depth + 1) }
        raw("<?")
        raw(target)
        if !data.isEmpty {
          bytes.append(UInt8(ascii: " "))
          raw(data)
        }
        raw("?>")
        if childPretty { bytes.append(UInt8(ascii: "\n")) }
      }
    }
    if childPretty { indent(depth) }
    bytes.append(UInt8(ascii: "<"))
    bytes.append(UInt8(ascii: "/"))
    raw(e.name)
    bytes.append(UInt8(ascii: ">"))
    if pretty { bytes.append(UInt8(ascii: "\n")) }
  }

  mutating func indent(_ depth: Int) {
    for _ in 0..<(depth * 2) { bytes.append(UInt8(ascii: " ")) }
  }

  mutating func raw(_ s: String) {
    var s = s
    s.withUTF8 { bytes.append(contentsOf: $0) }
  }

  mutating func escaped(_ s: String, attribute: Bool) {
    var s = s
    s.withUTF8 { utf8 in
      var start = 0
      for i in 0..<utf8.count {
        let replacement: StaticString
        switch utf8[i] {
        case UInt8(ascii: "&"): replacement = "&amp;"
        case UInt8(ascii: "<"): replacement = "&lt;"
        case UInt8(ascii: ">"): replacement = "&gt;"
        case UInt8(ascii: "\r"): replacement = "&#13;"
        case UInt8(ascii: "\""): if attribute { replacement = "&quot;" } else { continue }
        case UInt8(ascii: "'"): if attribute { replacement = "&apos;" } else { continue }
        case UInt8(ascii: "\n"): if attribute { replacement = "&#10;" } else { continue }
        case UInt8(ascii: "\t"): if attribute { replacement = "&#9;" } else { continue }
        default: continue
        }
        if start < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i])) }
        replacement.withUTF8Buffer { bytes.append(contentsOf: $0) }
        start = i + 1
      }
      if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count])) }
    }
  }
}
