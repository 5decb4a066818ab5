/// pcs's free-form argument grammar for create/update: `[k=v]... [op NAME k=v...]... [meta k=v...]
/// [clone [ID] [k=v...] | promotable [ID] [k=v...]] [bundle ID]`.
struct ResourceArguments {
  struct Operation {
    var name: String
    var options: [(String, String)]
  }

  enum CloneKind { case clone, promotable }

  var instance: [(String, String)] = []
  var operations: [Operation] = []
  var meta: [(String, String)] = []
  var clone: (kind: CloneKind, id: String?, options: [(String, String)])?
  var bundle: String?

  /// Splits `words` at the keywords. `allowClone` is false for `update`.
  static func parse(_ words: [String], allowClone: Bool = true) throws(PcsFailure) -> ResourceArguments {
    var result = ResourceArguments()
    enum Mode { case instance, op, meta, clone, bundle }
    var mode = Mode.instance
    var currentOp: Operation?
    var cloneWords: [String] = []
    func flushOp() throws(PcsFailure) {
      if let op = currentOp {
        if op.options.isEmpty {
          throw .legacy("When using 'op' you must specify an operation name and at least one option")
        }
        result.operations.append(op)
      }
      currentOp = nil
    }
    var sawOpKeyword = false
    for word in words {
      if word == "op" {
        try flushOp()
        mode = .op
        sawOpKeyword = true
        continue
      }
      if word == "meta" {
        try flushOp()
        mode = .meta
        continue
      }
      if allowClone && (word == "clone" || word == "promotable") && mode != .clone {
        try flushOp()
        mode = .clone
        result.clone = (word == "clone" ? .clone : .promotable, nil, [])
        continue
      }
      if allowClone && word == "bundle" {
        try flushOp()
        mode = .bundle
        continue
      }
      switch mode {
      case .instance: result.instance.append(try pair(word))
      case .meta: result.meta.append(try pair(word))
      case .op:
        if word.contains("=") {
          guard currentOp != nil else {
            throw .legacy("When using 'op' you must specify an operation name and at least one option")
          }
          currentOp!.options.append(try pair(word))
        } else {
          try flushOp()
          currentOp = Operation(name: word, options: [])
        }
      case .clone: cloneWords.append(word)
      case .bundle:
        if result.bundle == nil { result.bundle = word } else { throw .legacy("missing value of '\(word)' option") }
      }
    }
    try flushOp()
    if sawOpKeyword && result.operations.isEmpty {
      throw .legacy("When using 'op' you must specify an operation name and at least one option")
    }
    if var clone = result.clone {
      var rest = cloneWords[...]
      if let first = rest.first, !first.contains("=") {
        clone.id = first
        rest = rest.dropFirst()
      }
      for w in rest { clone.options.append(try pair(w)) }
      result.clone = clone
    }
    return result
  }

  static func pair(_ word: String) throws(PcsFailure) -> (String, String) {
    guard let eq = word.firstIndex(of: "=") else { throw .legacy("missing value of '\(word)' option") }
    return (String(word[..<eq]), String(word[word.index(after: eq)...]))
  }
}
