import ArgumentParser

/// pcs 0.11.5 commands Vigil does not implement, refused before parsing: one `Error:` line naming the command,
/// saying it is not implemented in Vigil (and why, or what to use instead), exit 1, nothing read or written.
///
/// Why before parsing: argument-parser hands words it does not know to a group's default subcommand, so
/// `pcs stonith level add ...` would otherwise print the stonith status and exit 0, and an operator would
/// believe the change was made. The second half of the guard, `Refusals.fallbackGroup`, closes the same
/// hole for words that are not pcs commands at all (pcs prints the group's usage for those).
enum Refusals {
  /// Why a command is refused: not implemented yet, or meaningless for Vigil.
  enum Reason: Sendable {
    case notImplemented(instead: String?)
    case noMeaning(String)
  }

  private static let noPcsd = "Vigil has no pcsd: nodes are reached over ssh"
  private static let noBooth =
    "Vigil has no booth ticket manager (multi-site clusters are not supported); run one Vigil cluster per site"

  /// Refused command paths, matched as the longest prefix of the command words.
  static let table: [String: Reason] = [
    // Groups with no meaning for Vigil.
    "pcsd": .noMeaning(noPcsd + "; pcs talks to the local clusterd through its socket"),
    "client": .noMeaning(noPcsd + ", so there is no pcsd token to authenticate with; pcs uses clusterd's local socket"),
    "host": .noMeaning(noPcsd + " (set up ssh keys to the nodes instead)"),
    "booth": .noMeaning(noBooth),
    "dr": .noMeaning("Vigil has no pcsd disaster-recovery site pairing; configure each site's cluster with pcs on that site"),
    "cluster auth": .noMeaning(noPcsd + " (set up ssh keys to the nodes instead)"),
    "cluster pcsd-status": .noMeaning(noPcsd),
    "cluster certkey": .noMeaning(noPcsd),
    "status pcsd": .noMeaning(noPcsd),
    "status booth": .noMeaning(noBooth),
    // Groups not implemented.
    "acl": .notImplemented(instead: nil),
    "alert": .notImplemented(instead: nil),
    "tag": .notImplemented(instead: nil),
    "qdevice kill": .notImplemented(instead: "pcs qdevice stop net"),
    "qdevice enable": .notImplemented(instead: nil),
    "qdevice disable": .notImplemented(instead: nil),
    "qdevice sign-net-cert-request": .noMeaning("vigil-arbiter authenticates with each cluster's authkey, not certificates"),
    "qdevice net-client": .noMeaning("vigil-arbiter authenticates with each cluster's authkey, not certificates"),
    // cluster
    "cluster config": .notImplemented(instead: nil),
    "cluster authkey": .notImplemented(instead: nil),
    "cluster sync": .notImplemented(instead: nil),
    "cluster status": .notImplemented(instead: "pcs status"),
    "cluster kill": .notImplemented(instead: "pcs cluster stop"),
    "cluster enable": .notImplemented(instead: nil),
    "cluster disable": .notImplemented(instead: nil),
    "cluster cib-push": .notImplemented(instead: nil),
    "cluster cib-upgrade": .notImplemented(instead: nil),
    "cluster edit": .notImplemented(instead: nil),
    "cluster link": .notImplemented(instead: nil),
    "cluster node": .notImplemented(instead: nil),
    "cluster uidgid": .notImplemented(instead: nil),
    "cluster corosync": .notImplemented(instead: nil),
    "cluster reload": .notImplemented(instead: nil),
    "cluster destroy": .notImplemented(instead: nil),
    "cluster report": .notImplemented(instead: nil),
    // config
    "config backup": .notImplemented(instead: nil),
    "config restore": .notImplemented(instead: nil),
    "config checkpoint": .notImplemented(instead: nil),
    // constraint
    "constraint ticket": .notImplemented(instead: nil),
    "constraint rule": .notImplemented(instead: "pcs constraint location RSC rule ..."),
    "constraint show": .notImplemented(instead: "pcs constraint config"),
    "constraint list": .notImplemented(instead: "pcs constraint config"),
    // node
    "node pacemaker-status": .notImplemented(instead: "pcs status nodes"),
    // quorum
    "quorum expected-votes": .notImplemented(instead: nil),
    "quorum unblock": .notImplemented(instead: nil),
    "quorum update": .notImplemented(instead: nil),
    // resource
    "resource show": .notImplemented(instead: "pcs resource config or pcs resource status"),
    "resource safe-disable": .notImplemented(instead: nil),
    "resource restart": .notImplemented(instead: nil),
    "resource relocate": .notImplemented(instead: nil),
    "resource relations": .notImplemented(instead: nil),
    "resource bundle": .noMeaning("Vigil's scheduler has no container bundles"),
    "resource defaults set": .notImplemented(instead: "pcs resource defaults update"),
    "resource op defaults set": .notImplemented(instead: "pcs resource op defaults update"),
    // status
    "status qdevice": .notImplemented(instead: nil),
    "status xml": .notImplemented(instead: nil),
    "status status": .notImplemented(instead: "pcs status"),
    // stonith
    "stonith update-scsi-devices": .notImplemented(instead: nil),
    "stonith show": .notImplemented(instead: "pcs stonith config or pcs stonith status"),
    "stonith op": .notImplemented(instead: "pcs resource op"),
    "stonith defaults": .notImplemented(instead: "pcs resource defaults"),
    "stonith level": .notImplemented(instead: nil),
    "stonith failcount": .notImplemented(instead: "pcs resource failcount"),
    "stonith fence": .notImplemented(instead: nil),
    "stonith cleanup": .notImplemented(instead: "pcs resource cleanup"),
    "stonith refresh": .notImplemented(instead: "pcs resource refresh"),
    "stonith confirm": .notImplemented(instead: nil),
    "stonith sbd": .notImplemented(instead: nil),
    "stonith history": .notImplemented(instead: nil),
  ]

  /// The refusal line for `arguments` (a whole pcs command line), or nil when it is not a refused command.
  static func refusal(for arguments: [String]) -> String? {
    let words = commandWords(arguments)
    for length in stride(from: min(words.count, 4), through: 1, by: -1) {
      let path = words[..<length].joined(separator: " ")
      guard let reason = table[path], !isCommand(Array(words[..<length])) else { continue }
      switch reason {
      case .notImplemented(nil): return "Error: 'pcs \(path)' is not implemented in Vigil"
      case .notImplemented(let instead?): return "Error: 'pcs \(path)' is not implemented in Vigil; use '\(instead)' instead"
      case .noMeaning(let why): return "Error: 'pcs \(path)' is not implemented in Vigil: \(why)"
      }
    }
    return nil
  }

  /// Whether `words` name a command of Vigil's own tree: a table entry never shadows a command that lands later.
  static func isCommand(_ words: [String]) -> Bool {
    var command: any ParsableCommand.Type = Pcs.self
    for word in words {
      let next = command.configuration.subcommands.first { sub in
        sub.configuration.commandName == word || sub.configuration.aliases.contains(word)
      }
      guard let next else { return false }
      command = next
    }
    return true
  }

  /// The group whose default subcommand argument-parser would run for a word that is none of the group's
  /// subcommands (pcs prints that group's usage instead), or nil when the words reach a command.
  static func fallbackGroup(for arguments: [String]) -> (group: any ParsableCommand.Type, word: String)? {
    var group: any ParsableCommand.Type = Pcs.self
    for word in commandWords(arguments) {
      let configuration = group.configuration
      if configuration.subcommands.isEmpty { return nil }  // a leaf parses the rest of its words itself
      let next = configuration.subcommands.first { sub in
        sub.configuration.commandName == word || sub.configuration.aliases.contains(word)
      }
      guard let next else { return configuration.defaultSubcommand == nil ? nil : (group, word) }
      group = next
    }
    return nil
  }

  /// The words of a command line that are not options or option values, up to `--`.
  static func commandWords(_ arguments: [String]) -> [String] {
    var words: [String] = []
    var i = 0
    while i < arguments.count {
      let word = arguments[i]
      if word == "--" { break }
      if word.hasPrefix("-") && word != "-" {
        if ArgumentOrder.valueOptions.contains(word) { i += 1 }
      } else {
        words.append(word)
      }
      i += 1
    }
    return words
  }
}
