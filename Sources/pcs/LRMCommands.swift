import ArgumentParser

// The agent commands, served by the LRM: `pcs resource describe/agents/list/standards/providers/debug-*` and
// `pcs stonith list/describe`. One type per subcommand (conforming to `PcsCommand`, with
// `@OptionGroup var global: GlobalOptions`), listed here; the resource and stonith groups splice these lists in. pcs refuses `-f` for describe:
// `try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)`.
extension Pcs {
  static let lrmResourceCommands: [any ParsableCommand.Type] = [
    ResourceDescribe.self, ResourceAgents.self, ResourceList.self, ResourceStandards.self, ResourceProviders.self,
    ResourceDebug<DebugStart>.self, ResourceDebug<DebugStop>.self, ResourceDebug<DebugMonitor>.self,
    ResourceDebug<DebugPromote>.self, ResourceDebug<DebugDemote>.self,
  ]
  static let lrmStonithCommands: [any ParsableCommand.Type] = [StonithList.self, StonithDescribe.self]
}
