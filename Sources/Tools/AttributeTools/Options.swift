import ControlProtocol

/// What one run of a tool printed and its exit status: the executables only write these out, so tests run the
/// same code and compare the text. A refused command line is one too (hence `Error`: parsing returns it as a failure).
public struct ToolResult: Error, Equatable, Sendable {
  public var stdout: String
  public var stderr: String
  public var exitCode: Int32
  public init(stdout: String = "", stderr: String = "", exitCode: Int32 = 0) {
    self.stdout = stdout
    self.stderr = stderr
    self.exitCode = exitCode
  }
}

/// Pacemaker's exit codes (crm_exit_t) these tools use.
public enum CRMExitCode {
  public static let ok: Int32 = 0
  public static let error: Int32 = 1
  public static let usage: Int32 = 64
  public static let software: Int32 = 70
  public static let config: Int32 = 78
  public static let disconnect: Int32 = 102
  public static let noSuch: Int32 = 105
  public static let quorum: Int32 = 106
}

/// What a tool asks of its node's clusterd (ControlClient in the executables, a stand-in only in tests).
public protocol ClusterAccess: Sendable {
  func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse
}

extension ControlClient: ClusterAccess {}

/// One option as GLib's parser (which Pacemaker's tools use) reads it.
public struct OptionSpec: Sendable {
  public enum Argument: Sendable { case none, required, optional }
  public var long: String
  public var short: Character?
  public var argument: Argument
  public init(_ long: String, _ short: Character?, _ argument: Argument = .none) {
    self.long = long
    self.short = short
    self.argument = argument
  }
}

/// A command line read GLib's way: `-n NAME`, `-nNAME`, `--name NAME`, `--name=NAME`, clustered flags (`-qG`),
/// optional arguments attached (`--promotion=RSC`, `-pRSC`) or, for a short option, the next word unless it is an
/// option (`-p RSC`). A required argument is the next word whatever it
/// starts with, so `-v -INFINITY` is a value (Pacemaker pre-processes its command lines for the same reason).
public struct ParsedOptions: Sendable, Equatable {
  /// Options in command-line order, by long name.
  public var options: [(name: String, value: String?)]
  public var positional: [String]

  public static func == (a: ParsedOptions, b: ParsedOptions) -> Bool {
    a.positional == b.positional && a.options.map(\.name) == b.options.map(\.name)
      && a.options.map(\.value) == b.options.map(\.value)
  }

  public func has(_ name: String) -> Bool { options.contains { $0.name == name } }
  /// The last value given for `name` (GLib keeps the last).
  public func value(_ name: String) -> String? { options.last { $0.name == name }?.value ?? nil }

  public static func parse(_ args: [String], specs: [OptionSpec]) -> Result<ParsedOptions, OptionError> {
    var out = ParsedOptions(options: [], positional: [])
    var i = 0
    while i < args.count {
      let arg = args[i]
      i += 1
      if arg == "--" {
        out.positional += args[i...]
        break
      }
      if arg.hasPrefix("--") {
        let body = arg.dropFirst(2)
        let name = String(body.prefix { $0 != "=" })
        let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
        guard let spec = specs.first(where: { $0.long == name }) else { return .failure(.unknown(arg)) }
        switch spec.argument {
        case .none:
          if attached != nil { return .failure(.unexpectedValue(arg)) }
          out.options.append((spec.long, nil))
        case .optional:
          out.options.append((spec.long, attached))
        case .required:
          if let attached {
            out.options.append((spec.long, attached))
          } else {
            guard i < args.count else { return .failure(.missingValue(arg)) }
            out.options.append((spec.long, args[i]))
            i += 1
          }
        }
      } else if arg.hasPrefix("-") && arg.count > 1 {
        var rest = Substring(arg.dropFirst())
        while let c = rest.first {
          rest = rest.dropFirst()
          guard let spec = specs.first(where: { $0.short == c }) else { return .failure(.unknown("-\(c)")) }
          switch spec.argument {
          case .none:
            out.options.append((spec.long, nil))
            continue
          case .optional:
            // Pacemaker pre-processes `-p RSC` into `-pRSC` when the next word is not an option.
            if rest.isEmpty, i < args.count, !args[i].hasPrefix("-") {
              out.options.append((spec.long, args[i]))
              i += 1
            } else {
              out.options.append((spec.long, rest.isEmpty ? nil : String(rest)))
            }
          case .required:
            if !rest.isEmpty {
              out.options.append((spec.long, String(rest)))
            } else {
              guard i < args.count else { return .failure(.missingValue("-\(c)")) }
              out.options.append((spec.long, args[i]))
              i += 1
            }
          }
          break
        }
      } else {
        out.positional.append(arg)
      }
    }
    return .success(out)
  }
}

/// Why a command line was refused (GLib's messages).
public enum OptionError: Error, Equatable, Sendable, CustomStringConvertible {
  case unknown(String)
  case missingValue(String)
  case unexpectedValue(String)
  public var description: String {
    switch self {
    case .unknown(let o): "Unknown option \(o)"
    case .missingValue(let o): "Missing argument for \(o)"
    case .unexpectedValue(let o): "Option \(o) does not take an argument"
    }
  }
}

/// The text of a failed control request, as Pacemaker's tools print a failed connection.
func connectionText(_ error: ControlClientError) -> String {
  switch error {
  case .notRunning(_, let reason): reason
  case .protocolError(let m): m
  }
}
