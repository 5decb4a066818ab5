import ArgumentParser

/// A leaf pcs command: its syntax is declared with argument-parser, its work done in `execute`.
///
/// pcs's grammar is positional and not argument-parser-shaped (`op monitor interval=30s meta ...`), so
/// leaves capture the free-form words in `args` (`.allUnrecognized`: known options are parsed wherever
/// they appear, everything else is kept in order) and parse them with `PcsGrammar`.
protocol PcsCommand: ParsableCommand {
  var global: GlobalOptions { get }
  /// The free-form words after the command's name, in order (options argument-parser knew are taken out).
  var args: [String] { get }
  func execute() throws(PcsFailure)
}

extension PcsCommand {
  mutating func run() throws { try execute() }

  /// pcs refuses options a command does not support: `Specified option '--x' is not supported in this command`.
  /// `words` are the captured arguments; a word starting with `--` (other than `--` itself) is an option
  /// argument-parser did not know for this command.
  func rejectUnsupportedOptions(in words: [String], alsoRefuseFile: Bool = false) throws(PcsFailure) {
    var refused: [String] = []
    if alsoRefuseFile && global.file != nil { refused.append("-f") }
    for word in words where word.hasPrefix("--") && word != "--" {
      let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
      if !refused.contains(name) { refused.append(name) }
    }
    if refused.isEmpty { return }
    refused.sort { a, b in
      // pcs lists long options first, then short ones, each alphabetically.
      let al = a.hasPrefix("--"), bl = b.hasPrefix("--")
      return al != bl ? al : a < b
    }
    if refused.count == 1 {
      throw .legacy("Specified option '\(refused[0])' is not supported in this command")
    }
    let list = refused.map { "'\($0)'" }.joined(separator: ", ")
    throw .legacy("Specified options \(list) are not supported in this command")
  }
}

extension PcsFailure {
  /// A command line pcs cannot parse: its usage text on stderr, exit 1.
  static func usage(_ group: any ParsableCommand.Type) -> PcsFailure {
    let name = group.configuration.commandName ?? ""
    return PcsFailure(lines: ["", "Usage: pcs \(name) ...", group.helpMessage(columns: 80)])
  }
}

/// Whether `word` was typed as a command word (default subcommands are also reached without it).
func typedCommandWord(_ word: String) -> Bool {
  CommandLine.arguments.dropFirst().contains(word)
}
