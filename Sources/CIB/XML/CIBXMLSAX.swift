import CLibXML2

/// The fast path of `CIBXML.parse`: libxml2's SAX2 events build `CIBElement`s directly, without libxml2's own
/// tree (which costs an allocation per node, attribute and value, and as much again to free it).
///
/// Why two paths: entities declared in a DTD interact with SAX in ways the tree builder already handles, so a
/// document with a `<!DOCTYPE` (never seen in a CIB) stops this path and is parsed again by the tree walk.
/// Invariant: for every document without a DOCTYPE both paths return the same tree (tested on the corpus).
final class SAXBuilder {
  /// Open elements, innermost last.
  var stack: [CIBElement] = []
  var root: CIBElement?
  /// Character data not yet attached (libxml2 may deliver one text in several pieces).
  var pendingText: [UInt8] = []
  var names = XMLNameCache()
  var sawDoctype = false
  var failure: CIBError?

  init() { stack.reserveCapacity(32) }

  /// Attaches pending text to the open element, dropping it when it is whitespace only.
  func flushText() {
    guard !pendingText.isEmpty else { return }
    defer { pendingText.removeAll(keepingCapacity: true) }
    guard !stack.isEmpty,
      pendingText.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D })
    else { return }
    let text = String(decoding: pendingText, as: UTF8.self)
    let last = stack.count - 1
    if case .text(let previous)? = stack[last].children.last {
      stack[last].children[stack[last].children.count - 1] = .text(previous + text)
    } else {
      stack[last].children.append(.text(text))
    }
  }

  func append(_ content: CIBContent) {
    guard !stack.isEmpty else { return }  // comments and PIs outside the root are not kept
    stack[stack.count - 1].children.append(content)
  }

  static func from(_ ctx: UnsafeMutableRawPointer?) -> SAXBuilder? {
    guard let ctx else { return nil }
    let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let p = ctxt.pointee._private else { return nil }
    return Unmanaged<SAXBuilder>.fromOpaque(p).takeUnretainedValue()
  }

  static func stop(_ ctx: UnsafeMutableRawPointer?) {
    guard let ctx else { return }
    xmlStopParser(ctx.assumingMemoryBound(to: xmlParserCtxt.self))
  }

  static func handler() -> xmlSAXHandler {
    var h = xmlSAXHandler()
    h.initialized = UInt32(XML_SAX2_MAGIC)
    h.serror = { _, _ in }
    // Undeclared entities stay undeclared: "Entity 'x' not defined", as with the tree builder.
    h.getEntity = { _, _ in nil }
    h.internalSubset = { ctx, _, _, _ in
      guard let b = SAXBuilder.from(ctx) else { return }
      b.sawDoctype = true
      SAXBuilder.stop(ctx)
    }
    h.startElementNs = { ctx, localname, prefix, _, nbNamespaces, namespaces, nbAttributes, _, attributes in
      guard let b = SAXBuilder.from(ctx), let localname else { return }
      b.flushText()
      if b.stack.count >= TreeConverter.depthMax {
        let line = ctx.map { Int($0.assumingMemoryBound(to: xmlParserCtxt.self).pointee.input?.pointee.line ?? 1) } ?? 1
        b.failure = .malformedXML(
          line: line, column: 1, message: "Excessive depth in document: \(TreeConverter.depthMax) levels is the limit")
        SAXBuilder.stop(ctx)
        return
      }
      var element = CIBElement(b.names.name(localname, prefix: prefix))
      let total = Int(nbNamespaces) + Int(nbAttributes)
      if total > 0 { element.attributes.reserveCapacity(total) }
      if let namespaces, nbNamespaces > 0 {
        for i in 0..<Int(nbNamespaces) {
          let attrName = namespaces[2 * i].map { "xmlns:" + String(cString: $0) } ?? "xmlns"
          let uri = namespaces[2 * i + 1].map { String(cString: $0) } ?? ""
          element.attributes.append(CIBAttribute(name: attrName, value: uri))
        }
      }
      if let attributes, nbAttributes > 0 {
        for i in 0..<Int(nbAttributes) {
          guard let attrLocal = attributes[5 * i] else { continue }
          let attrName = b.names.name(attrLocal, prefix: attributes[5 * i + 1])
          var value = ""
          if let start = attributes[5 * i + 3], let end = attributes[5 * i + 4] {
            let bytes = UnsafeBufferPointer(start: start, count: end - start)
            // Without entity replacement libxml2 hands '&' over as "&#38;" (no DTD here, so nothing else).
            value = bytes.contains(UInt8(ascii: "&")) ? decodeAmpersands(bytes) : String(decoding: bytes, as: UTF8.self)
          }
          element.attributes.append(CIBAttribute(name: attrName, value: value))
        }
      }
      b.stack.append(element)
    }
    h.endElementNs = { ctx, _, _, _ in
      guard let b = SAXBuilder.from(ctx), !b.stack.isEmpty else { return }
      b.flushText()
      let element = b.stack.removeLast()
      if b.stack.isEmpty {
        b.root = element
      } else {
        b.stack[b.stack.count - 1].children.append(.element(element))
      }
    }
    h.characters = { ctx, ch, len in
      guard let b = SAXBuilder.from(ctx), let ch, len > 0 else { return }
      b.pendingText.append(contentsOf: UnsafeBufferPointer(start: ch, count: Int(len)))
    }
    h.ignorableWhitespace = { _, _, _ in }
    h.cdataBlock = { ctx, value, len in
      guard let b = SAXBuilder.from(ctx), !b.stack.isEmpty else { return }
      b.flushText()
      let text = value.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(len)), as: UTF8.self) } ?? ""
      // Adjacent CDATA sections merge, as libxml2's tree builder merges them.
      let last = b.stack.count - 1
      if case .cdata(let previous)? = b.stack[last].children.last {
        b.stack[last].children[b.stack[last].children.count - 1] = .cdata(previous + text)
      } else {
        b.stack[last].children.append(.cdata(text))
      }
    }
    h.comment = { ctx, value in
      guard let b = SAXBuilder.from(ctx) else { return }
      b.flushText()
      b.append(.comment(value.map { String(cString: $0) } ?? ""))
    }
    h.processingInstruction = { ctx, target, data in
      guard let b = SAXBuilder.from(ctx), let target else { return }
      b.flushText()
      b.append(.processingInstruction(target: String(cString: target), data: data.map { String(cString: $0) } ?? ""))
    }
    return h
  }
}

/// Turns every "&#38;" into "&" (the only escape libxml2 leaves in attribute values when no DTD is present).
func decodeAmpersands(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
  let pattern: [UInt8] = Array("&#38;".utf8)
  var out: [UInt8] = []
  out.reserveCapacity(bytes.count)
  var i = 0
  while i < bytes.count {
    if bytes[i] == UInt8(ascii: "&"), i + pattern.count <= bytes.count,
      (0..<pattern.count).allSatisfy({ bytes[i + $0] == pattern[$0] })
    {
      out.append(UInt8(ascii: "&"))
      i += pattern.count
    } else {
      out.append(bytes[i])
      i += 1
    }
  }
  return String(decoding: out, as: UTF8.self)
}
