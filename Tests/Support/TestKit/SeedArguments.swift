#if canImport(Glibc)
  import Glibc
#endif

/// The command line every seeded simulation tool shares: `--seeds N` (100) starting at `--first F` (1), or one
/// `--seed S` to replay; the tool's own options go to its `option` handler. A bad or unknown argument prints the
/// usage line and exits 2.
public struct SeedArguments {
  public let usage: String

  public init(usage: String) { self.usage = usage }

  public func fail() -> Never {
    print("usage: \(usage)")
    exit(2)
  }

  /// An option's value read as the tool wants it; nil (a bad value) prints the usage and exits 2.
  public func valid<Value>(_ value: Value?) -> Value {
    guard let value else { fail() }
    return value
  }

  /// The seeds to run. `option(name, value)` handles one of the tool's own options, taking its value with
  /// `value()`, and returns false for a name it does not know.
  public func seeds(_ arguments: [String], option: (_ name: String, _ value: () -> String) -> Bool) -> [UInt64] {
    var count = 100
    var first: UInt64 = 1
    var single: UInt64?
    var rest = arguments[...]
    while let name = rest.popFirst() {
      func value() -> String { valid(rest.popFirst()) }
      switch name {
      case "--seeds": count = valid(Int(value()))
      case "--first": first = valid(UInt64(value()))
      case "--seed": single = valid(UInt64(value()))
      default: if !option(name, value) { fail() }
      }
    }
    return single.map { [$0] } ?? (0..<count).map { first + UInt64($0) }
  }
}
