/// cibadmin's command line, parsed getopt-style like Pacemaker's: combined short flags (`-Ql`), attached
/// values (`-oresources`, `--scope=resources`) or the next argument (`-o resources`); the last command wins.
struct CibadminOptions: Equatable {
  enum Command: Equatable { case query, create, modify, replace, delete, bump, empty, help, version }
  enum XMLSource: Equatable { case text(String), file(String), stdin }

  var command: Command?
  var scope: String?
  var xml: XMLSource?
  var allowCreate = false
  var noChildren = false

  struct UsageError: Error, Equatable { var message: String }

  /// Options that take a value, short letter to long name.
  private static let valued: [Character: String] = [
    "o": "scope", "X": "xml-text", "x": "xml-file", "t": "timeout", "U": "user", "N": "node", "A": "xpath",
  ]
  private static let longToShort: [String: Character] = [
    "query": "Q", "create": "C", "modify": "M", "replace": "R", "delete": "D", "bump": "B", "empty": "a",
    "help": "?", "version": "$", "verbose": "V", "scope": "o", "xml-text": "X", "xml-file": "x", "xml-pipe": "p",
    "allow-create": "c", "no-children": "n", "local": "l", "sync-call": "s", "force": "f", "timeout": "t",
    "user": "U", "node": "N", "xpath": "A", "upgrade": "u", "erase": "E", "patch": "P", "delete-all": "d",
    "md5-sum": "5", "md5-sum-versioned": "6", "show-access": "S", "node-path": "e",
  ]
  /// Accepted for compatibility, with no effect on a file.
  private static let ignored: Set<Character> = ["V", "l", "s", "f", "t", "U", "N"]
  private static let unsupported: Set<Character> = ["A", "u", "E", "P", "d", "5", "6", "S", "e"]

  static func parse(_ arguments: [String]) throws(UsageError) -> CibadminOptions {
    var options = CibadminOptions()
    var i = 0
    func value(for name: String, attached: String?) throws(UsageError) -> String {
      if let attached { return attached }
      i += 1
      guard i < arguments.count else { throw UsageError(message: "option '\(name)' requires an argument") }
      return arguments[i]
    }
    while i < arguments.count {
      let arg = arguments[i]
      if arg == "--" {
        if i + 1 < arguments.count {
          throw UsageError(message: "unexpected argument '\(arguments[i + 1])'")
        }
        break
      }
      if arg.hasPrefix("--") {
        let body = arg.dropFirst(2)
        let name = String(body.prefix { $0 != "=" })
        let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
        guard let short = longToShort[name] else { throw UsageError(message: "unrecognized option '--\(name)'") }
        if valued[short] != nil {
          try options.apply(short, value: try value(for: "--\(name)", attached: attached), spelled: "--\(name)")
        } else {
          if attached != nil { throw UsageError(message: "option '--\(name)' doesn't allow an argument") }
          try options.apply(short, value: nil, spelled: "--\(name)")
        }
      } else if arg.hasPrefix("-") && arg.count > 1 {
        var rest = Substring(arg.dropFirst())
        while let c = rest.first {
          rest = rest.dropFirst()
          if valued[c] != nil {
            let v = try value(for: "-\(c)", attached: rest.isEmpty ? nil : String(rest))
            try options.apply(c, value: v, spelled: "-\(c)")
            break
          }
          guard longToShort.values.contains(c) else { throw UsageError(message: "invalid option -- '\(c)'") }
          try options.apply(c, value: nil, spelled: "-\(c)")
        }
      } else {
        throw UsageError(message: "unexpected argument '\(arg)'")
      }
      i += 1
    }
    return options
  }

  private mutating func apply(_ c: Character, value: String?, spelled: String) throws(UsageError) {
    if Self.unsupported.contains(c) {
      throw UsageError(message: "option '\(spelled)' is not supported by this build of Vigil's cibadmin")
    }
    if Self.ignored.contains(c) { return }
    switch c {
    case "Q": command = .query
    case "C": command = .create
    case "M": command = .modify
    case "R": command = .replace
    case "D": command = .delete
    case "B": command = .bump
    case "a": command = .empty
    case "?", "h": command = .help
    case "$": command = .version
    case "o": scope = value
    case "X": xml = .text(value ?? "")
    case "x": xml = .file(value ?? "")
    case "p": xml = .stdin
    case "c": allowCreate = true
    case "n": noChildren = true
    default: throw UsageError(message: "invalid option -- '\(c)'")
    }
  }

  static let usage = """
    cibadmin - query and edit the Pacemaker configuration (Vigil)
    Usage: cibadmin <command> [options]      with CIB_file=FILE (a CIB file) or VIGIL_CIB_STORE=DIR (a durable store)

    Commands:
     -Q, --query              Print the CIB (or the section given with -o)
     -C, --create             Create an object in a section (fails if an object with its tag and id exists)
     -M, --modify             Find the object by tag and id and merge the update into it (-c: create if missing)
     -R, --replace            Replace the object, the section, or the whole CIB (not with an older version)
     -D, --delete             Delete the first object whose tag and attributes all match
     -B, --bump               Increase the CIB's epoch by 1
     -a, --empty              Print an empty CIB
     -?, --help               This text
     -$, --version            Version information

    Options:
     -o, --scope=SECTION      One of: \(["configuration", "nodes", "resources", "constraints", "crm_config", "rsc_defaults", "op_defaults", "acls", "fencing-topology", "tags", "alerts", "status"].joined(separator: ", "))
     -X, --xml-text=XML       The object, as XML text
     -x, --xml-file=FILE      The object, from a file
     -p, --xml-pipe           The object, from standard input
     -c, --allow-create       With --modify: create the object if it does not exist
     -n, --no-children        With --query: print the element without its children
     -V -l -s -f -t -U -N     Accepted for compatibility; no effect on files

    """
}
