import ArgumentParser
import CIB

/// `pcs stonith enable|disable|update|meta ID ...`: the resource commands, applied to fencing devices. pcs still
/// accepts a resource that is no fencing device, with a deprecation warning naming the resource command to use.
struct StonithEnable: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "enable", abstract: "Allow the cluster to use fencing devices.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    warnAboutResources(global, ids: args.filter { !$0.hasPrefix("-") }, command: "enable")
    try runResourceTargetRole(self, words: args, enable: true)
  }
}

struct StonithDisable: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop fencing devices and keep them stopped.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    warnAboutResources(global, ids: args.filter { !$0.hasPrefix("-") }, command: "disable")
    try runResourceTargetRole(self, words: args, enable: false)
  }
}

struct StonithUpdate: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "update", abstract: "Change options of a fencing device.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    warnAboutResources(global, ids: Array(args.prefix(1)), command: "update")
    try runResourceUpdate(self)
  }
}

struct StonithMeta: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "meta", abstract: "Change meta attributes of a fencing device.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    if args.filter({ !$0.hasPrefix("-") }).count < 2 { throw PcsFailure(lines: Self.usage) }
    warnAboutResources(global, ids: Array(args.prefix(1)), command: "meta")
    try runResourceMeta(self)
  }

  /// pcs's usage paragraph for `stonith meta`, printed when the id or the options are missing.
  static let usage = [
    "", "Usage: pcs stonith meta...", "    meta <stonith id> <meta options> [--wait[=n]]",
    "        Add specified options to the specified stonith device. Meta options",
    "        should be in the format of name=value, options may be removed by setting",
    "        an option without a value. If --wait is specified, pcs will wait up to",
    "        'n' seconds for the changes to take effect and then return 0 if the",
    "        changes have been processed or 1 otherwise. If 'n' is not specified it",
    "        defaults to 60 minutes.", "        Example:",
    "        pcs stonith meta test_stonith failure-timeout=50 resource-stickiness=", "",
  ]
}

/// pcs's deprecation warning when a `pcs stonith` command is given a resource that is no fencing device. Ids that do
/// not exist get no warning: the command itself reports them.
private func warnAboutResources(_ global: GlobalOptions, ids: [String], command: String) {
  guard !ids.isEmpty, let cib = try? CIBTarget.load(global) else { return }
  var nonStonith = false
  cib.forEachDescendant { e in
    guard let id = e.id, ids.contains(id) else { return }
    if ["group", "clone", "master", "bundle"].contains(e.name) || (e.name == "primitive" && e[attribute: "class"] != "stonith") {
      nonStonith = true
    }
  }
  if nonStonith {
    Console.err(
      "Deprecation Warning: Ability of this command to accept resources is deprecated and will be removed in a future "
        + "release. Please use 'pcs resource \(command)' instead.")
  }
}
