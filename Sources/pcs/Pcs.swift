import ArgumentParser
import Foundation

/// The `pcs` command line: Vigil's configuration tool, with pcs 0.11.5's syntax, output and errors.
///
/// Why a custom `main`: pcs exits with 1 (not argument-parser's 64) on every error, prints `Error: ...` on
/// stderr, and a bad command line prints a usage text on stderr. The shell below maps argument-parser's
/// errors and our `PcsFailure` onto that contract; command types only describe the syntax and call the
/// editing functions.
///
/// Other modules register their subcommands in files of their own (see `LRMCommands.swift`,
/// `MembershipCommands.swift`): each exposes a static list that the groups below splice in.
@main
struct Pcs: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pcs",
    abstract: "Control and configure a Vigil (Pacemaker-compatible) cluster.",
    discussion: "Offline use: pcs -f CIB_FILE <command> ... edits the CIB file instead of the live cluster.",
    version: "0.11.5",
    subcommands: [
      ClusterCommand.self, ResourceCommand.self, StonithCommand.self, PropertyCommand.self,
      ConstraintCommand.self, NodeCommand.self, StatusCommand.self, ConfigCommand.self,
    ] + Pcs.membershipCommands)

  static func main() {
    PcsShell.run(Array(CommandLine.arguments.dropFirst()))
  }
}

/// Maps parsing and command outcomes onto pcs's streams and exit codes.
enum PcsShell {
  static func run(_ arguments: [String]) -> Never {
    if let refusal = Refusals.refusal(for: arguments) {
      Console.err(refusal)
      exit(1)
    }
    if let fallback = Refusals.fallbackGroup(for: arguments) {
      // `pcs GROUP help` prints the group's usage; any other unknown word is a bad command line.
      if fallback.word == "help" {
        Console.outRaw(fallback.group.helpMessage(columns: 80))
        exit(0)
      }
      Console.report(.usage(fallback.group))
      exit(1)
    }
    let command: any ParsableCommand
    do {
      command = try Pcs.parseAsRoot(ArgumentOrder.globalOptionsLast(arguments))
    } catch {
      let code = Pcs.exitCode(for: error)
      let message = Pcs.fullMessage(for: error)
      if code == .success {
        if !message.isEmpty { Console.out(message) }
        exit(0)
      }
      // pcs prints its usage text on stderr and exits 1 for a command line it cannot parse.
      Console.errRaw("\nUsage: pcs [-f file] [-h] [commands]...\n" + message + "\n")
      exit(1)
    }
    do {
      var command = command
      try command.run()
      exit(0)
    } catch let failure as PcsFailure {
      Console.report(failure)
      exit(failure.exitCode)
    } catch {
      let code = Pcs.exitCode(for: error)
      let message = Pcs.fullMessage(for: error)
      if code == .success {
        if !message.isEmpty { Console.out(message) }
        exit(0)
      }
      Console.errRaw("Error: " + message + "\n")
      exit(1)
    }
  }
}

/// pcs (getopt) accepts options anywhere, including before the command (`pcs -f cib.xml resource create ...`).
/// argument-parser gives each command its own options, so options written before the command words are
/// moved after them (before a `--` terminator, if any), where the leaf command's option group parses them.
enum ArgumentOrder {
  /// Options that take a value in the next word when written without `=`.
  static let valueOptions: Set<String> = [
    "-f", "-p", "-u", "--corosync_conf", "--output-as", "--output-format", "--group", "--before", "--after",
    "--name", "--node", "--request-timeout", "--from", "--to",
  ]

  static func globalOptionsLast(_ args: [String]) -> [String] {
    var leading: [String] = []
    var i = 0
    while i < args.count, args[i].hasPrefix("-"), args[i] != "--", args[i] != "-" {
      leading.append(args[i])
      if valueOptions.contains(args[i]), i + 1 < args.count {
        leading.append(args[i + 1])
        i += 1
      }
      i += 1
    }
    if leading.isEmpty { return args }
    // `-h`, `--help` and `--version` alone stay where they are: they belong to the root command.
    if i == args.count { return args }
    var rest = Array(args[i...])
    if let terminator = rest.firstIndex(of: "--") {
      rest.insert(contentsOf: leading, at: terminator)
    } else {
      rest.append(contentsOf: leading)
    }
    return rest
  }
}
