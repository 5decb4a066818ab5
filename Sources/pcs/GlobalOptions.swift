import ArgumentParser

/// Options pcs accepts on every command, wherever they appear on the command line.
///
/// pcs parses its options globally (getopt) and then each command refuses the ones it does not support;
/// `PcsCommand.checkSupported` reproduces that refusal with pcs's wording.
struct GlobalOptions: ParsableArguments {
  @Option(name: .customShort("f"), help: "Work offline on the CIB in FILE instead of the live cluster.")
  var file: String?

  @Flag(name: .customLong("force"), help: "Turn errors that offer it into warnings.")
  var force = false

  @Flag(name: .customLong("debug"), help: "Print what pcs does.")
  var debug = false

  @Option(name: .customLong("corosync_conf"), help: "Use this corosync.conf instead of /etc/corosync/corosync.conf.")
  var corosyncConf: String?

  @Option(name: .customLong("output-as"), help: "Output format of read commands: text (default) or json.")
  var outputAs: OutputFormat = .text
}

/// `--output-as`: Vigil's addition to pcs; text is byte-compatible with pcs, json is documented and stable.
enum OutputFormat: String, ExpressibleByArgument, Sendable {
  case text
  case json
}
