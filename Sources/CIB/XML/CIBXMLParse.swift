import CLibXML2
import Files

/// Converts between CIB text and the lossless `CIBElement` tree, at the libxml2 edge.
///
/// Why it exists: libxml2 is the only XML parser here that refuses malformed input instead of recovering,
/// and it is fast; but its types must not leak, so this namespace walks libxml2's tree once and returns values.
/// Invariants: no recovery (a truncated CIB is an error with line and column, never a partial tree); no network
/// access; whitespace-only text is dropped, comments, CDATA and processing instructions inside the root are kept.
/// Comments and processing instructions outside the root element are not kept (Pacemaker drops them too).
public enum CIBXML {
  /// Largest document `parse` accepts unless told otherwise: far above any real CIB (a 5,000-resource,
  /// 32-node CIB with full status is about 40 MB) while still bounding memory.
  public static let defaultInputBytesMax = 512 << 20

  /// Parses a complete XML document held in `text` and returns its root element.
  public static func parse(
    _ text: String, inputBytesMax: Int = defaultInputBytesMax, doctype: DoctypePolicy = .allow
  ) throws(CIBError) -> CIBElement {
    var text = text
    // withUTF8 rethrows untyped errors, so the typed result travels out in a Result.
    let result = text.withUTF8 { buffer in
      Result { () throws(CIBError) in
        try parse(utf8: UnsafeRawBufferPointer(buffer), inputBytesMax: inputBytesMax, doctype: doctype)
      }
    }
    return try result.get()
  }

  /// Parses the XML document in the file at `path` and returns its root element.
  public static func parse(
    fileAt path: String, inputBytesMax: Int = defaultInputBytesMax, doctype: DoctypePolicy = .allow
  ) throws(CIBError) -> CIBElement {
    let bytes = try CIBError.file(try FileIO.readAll(path: path, bytesMax: inputBytesMax))
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(CIBError) in
        try parse(utf8: buffer, inputBytesMax: inputBytesMax, sourceName: path, doctype: doctype)
      }
    }
    return try result.get()
  }

  /// What a parse does with a DOCTYPE. Agent metadata carries one (`<!DOCTYPE resource-agent SYSTEM ...>`); a CIB
  /// never needs one, so CIB files refuse it before libxml2 reads any declaration or expands any entity.
  public enum DoctypePolicy: Sendable { case allow, refuse }

  /// Parses an XML document given as bytes (UTF-8 unless its declaration says otherwise).
  public static func parse(
    utf8 buffer: UnsafeRawBufferPointer, inputBytesMax: Int = defaultInputBytesMax, sourceName: String = "input",
    doctype: DoctypePolicy = .allow
  ) throws(CIBError) -> CIBElement {
    guard buffer.count <= inputBytesMax, buffer.count <= Int(Int32.max) else {
      throw .documentTooLarge(bytes: buffer.count, bytesMax: min(inputBytesMax, Int(Int32.max)))
    }
    guard let base = buffer.baseAddress, buffer.count > 0 else {
      throw .malformedXML(line: 1, column: 1, message: "Document is empty")
    }
    if let root = try parseWithSAX(base, count: buffer.count, sourceName: sourceName, doctype: doctype) {
      return root
    }
    return try parseWithTree(base, count: buffer.count, sourceName: sourceName)
  }

  /// The fast path (see `SAXBuilder`). Returns nil when the document needs the tree path (it has a DOCTYPE).
  private static func parseWithSAX(
    _ base: UnsafeRawPointer, count: Int, sourceName: String, doctype: DoctypePolicy
  ) throws(CIBError) -> CIBElement?
  {
    guard let ctxt = xmlNewParserCtxt() else {
      preconditionFailure("libxml2 could not allocate a parser context (out of memory)")
    }
    defer { xmlFreeParserCtxt(ctxt) }
    let builder = SAXBuilder()
    ctxt.pointee.sax.pointee = SAXBuilder.handler()
    ctxt.pointee._private = Unmanaged.passUnretained(builder).toOpaque()
    // NONET: never fetch anything over the network. HUGE: lifts libxml2's 10 MB lookup limit; our own limits
    // (inputBytesMax, SAX depth) bound the work instead. Deliberately not RECOVER and not NOENT.
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue)
    let doc = withExtendedLifetime(builder) {
      sourceName.withCString { name in
        xmlCtxtReadMemory(ctxt, base.assumingMemoryBound(to: CChar.self), Int32(count), name, nil, options)
      }
    }
    if let doc { xmlFreeDoc(doc) }
    if builder.sawDoctype {
      // The SAX pass stopped at the DOCTYPE's name, before any declaration of its internal subset was read.
      if doctype == .refuse { throw .doctypeRefused }
      return nil
    }
    if let failure = builder.failure { throw failure }
    guard ctxt.pointee.wellFormed != 0 else { throw error(from: ctxt) }
    guard let root = builder.root else { return nil }
    return root
  }

  /// The general path: libxml2 builds its tree (resolving DTD entities), then one walk converts it.
  private static func parseWithTree(_ base: UnsafeRawPointer, count: Int, sourceName: String) throws(CIBError)
    -> CIBElement
  {
    guard let ctxt = xmlNewParserCtxt() else {
      preconditionFailure("libxml2 could not allocate a parser context (out of memory)")
    }
    defer { xmlFreeParserCtxt(ctxt) }
    // Keep libxml2 quiet on stderr: errors are reported through CIBError instead. `serror` on this context
    // only (not the global handler), so concurrent parses on other threads are unaffected.
    ctxt.pointee.sax.pointee.serror = { _, _ in }
    // NOBLANKS: skip ignorable blanks early (we drop whitespace-only text anyway). COMPACT: short text stored
    // inside libxml2's nodes, fewer mallocs. NONET, HUGE and no RECOVER/NOENT as on the SAX path.
    let options = Int32(
      XML_PARSE_NONET.rawValue | XML_PARSE_NOBLANKS.rawValue | XML_PARSE_COMPACT.rawValue | XML_PARSE_HUGE.rawValue)
    let doc = sourceName.withCString { name in
      xmlCtxtReadMemory(ctxt, base.assumingMemoryBound(to: CChar.self), Int32(count), name, nil, options)
    }
    guard let doc, ctxt.pointee.wellFormed != 0 else {
      if let doc { xmlFreeDoc(doc) }
      throw error(from: ctxt)
    }
    defer { xmlFreeDoc(doc) }
    guard let root = xmlDocGetRootElement(doc) else {
      throw .malformedXML(line: 1, column: 1, message: "Document has no root element")
    }
    var converter = TreeConverter(doc: doc)
    return try converter.element(root, depth: 1)
  }

  /// Parses with libxml2's tree only (the path taken for documents with a DOCTYPE); tests compare both paths.
  static func parseWithTreeForTesting(_ text: String) throws(CIBError) -> CIBElement {
    var text = text
    let result = text.withUTF8 { buffer in
      Result { () throws(CIBError) in try parseWithTree(buffer.baseAddress!, count: buffer.count, sourceName: "input") }
    }
    return try result.get()
  }

  private static func error(from ctxt: xmlParserCtxtPtr) -> CIBError {
    let last = ctxt.pointee.lastError
    var message = last.message.map { String(cString: $0) } ?? "unknown XML error"
    while let c = message.last, c.isWhitespace { message.removeLast() }
    let line = Int(last.line > 0 ? last.line : ctxt.pointee.input?.pointee.line ?? 1)
    let column = Int(last.int2 > 0 ? last.int2 : ctxt.pointee.input?.pointee.col ?? 1)
    return .malformedXML(line: max(line, 1), column: max(column, 1), message: message)
  }
}

/// One walk over libxml2's tree, building values. Names come from libxml2's dictionary, so the same
/// pointer repeats for every `nvpair` or `id`; caching their Swift strings by pointer saves re-decoding.
/// Element and attribute names as Swift strings, each distinct name converted once: libxml2 keeps names in the
/// document's dictionary, so an equal unprefixed name arrives as the same pointer (both parse paths use this).
struct XMLNameCache {
  private var names: [UnsafeRawPointer: String] = [:]

  mutating func name(_ raw: UnsafePointer<xmlChar>, prefix: UnsafePointer<xmlChar>?) -> String {
    if let prefix { return String(cString: prefix) + ":" + String(cString: raw) }
    let key = UnsafeRawPointer(raw)
    if let cached = names[key] { return cached }
    let s = String(cString: raw)
    names[key] = s
    return s
  }
}

struct TreeConverter {
  let doc: xmlDocPtr
  var names = XMLNameCache()

  init(doc: xmlDocPtr) { self.doc = doc }

  /// Deepest nesting accepted, as libxml2's own default (XML_PARSE_HUGE raises libxml2's to 2048); real CIBs
  /// nest fewer than 15 levels. Also bounds this recursive walk's stack use.
  static let depthMax = 256

  mutating func element(_ node: xmlNodePtr, depth: Int) throws(CIBError) -> CIBElement {
    guard depth <= Self.depthMax else {
      throw .malformedXML(
        line: Int(xmlGetLineNo(node)), column: 1,
        message: "Excessive depth in document: \(Self.depthMax) levels is the limit")
    }
    let n = node.pointee
    let elementName = names.name(n.name, prefix: n.ns?.pointee.prefix)
    var attributes: [CIBAttribute] = []
    // Namespace declarations become ordinary xmlns attributes so they survive the round trip.
    var ns = n.nsDef
    while let d = ns {
      let attrName = d.pointee.prefix.map { "xmlns:" + String(cString: $0) } ?? "xmlns"
      attributes.append(CIBAttribute(name: attrName, value: d.pointee.href.map { String(cString: $0) } ?? ""))
      ns = d.pointee.next
    }
    var a = n.properties
    while let attr = a {
      let an = names.name(attr.pointee.name, prefix: attr.pointee.ns?.pointee.prefix)
      attributes.append(CIBAttribute(name: an, value: attributeValue(attr)))
      a = attr.pointee.next
    }
    var children: [CIBContent] = []
    var c = n.children
    while let child = c {
      switch child.pointee.type {
      case XML_ELEMENT_NODE:
        children.append(.element(try element(child, depth: depth + 1)))
      case XML_TEXT_NODE:
        if let content = child.pointee.content, !isWhitespaceOnly(content) {
          appendText(String(cString: content), to: &children)
        }
      case XML_ENTITY_REF_NODE:
        // An entity declared in an internal DTD: keep its replacement text (we never expand external ones).
        if let content = xmlNodeGetContent(child) {
          if !isWhitespaceOnly(content) { appendText(String(cString: content), to: &children) }
          vigil_xmlFree(content)
        }
      case XML_CDATA_SECTION_NODE:
        children.append(.cdata(child.pointee.content.map { String(cString: $0) } ?? ""))
      case XML_COMMENT_NODE:
        children.append(.comment(child.pointee.content.map { String(cString: $0) } ?? ""))
      case XML_PI_NODE:
        children.append(
          .processingInstruction(
            target: String(cString: child.pointee.name),
            data: child.pointee.content.map { String(cString: $0) } ?? ""))
      default:
        break
      }
      c = child.pointee.next
    }
    return CIBElement(elementName, attributes: attributes, children: children)
  }

  func attributeValue(_ attr: xmlAttrPtr) -> String {
    // Fast path: one text child holding the (already unescaped) value.
    if let text = attr.pointee.children, text.pointee.next == nil, text.pointee.type == XML_TEXT_NODE {
      return text.pointee.content.map { String(cString: $0) } ?? ""
    }
    guard let list = attr.pointee.children else { return "" }
    guard let joined = xmlNodeListGetString(doc, list, 1) else { return "" }
    defer { vigil_xmlFree(joined) }
    return String(cString: joined)
  }

  func appendText(_ text: String, to children: inout [CIBContent]) {
    if case .text(let previous)? = children.last {
      children[children.count - 1] = .text(previous + text)
    } else {
      children.append(.text(text))
    }
  }

  func isWhitespaceOnly(_ p: UnsafePointer<xmlChar>) -> Bool {
    var q = p
    while true {
      switch q.pointee {
      case 0: return true
      case 0x20, 0x09, 0x0A, 0x0D: q += 1
      default: return false
      }
    }
  }
}
