import ArgumentParser
import CIB
import Dispatch
import LRM

#if canImport(Glibc)
  import Glibc
#endif

// The LRM's pcs commands: agent discovery and description, and running a resource's agent directly.
// Thin: the text comes from `PcsAgentText`, the runs from `AgentRunner`, the call from `DebugAction`.

/// Runs async LRM work from pcs's synchronous commands (the main thread is not part of the task pool).
func lrmBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
  let box = LRMBlockingBox<T>()
  let done = DispatchSemaphore(value: 0)
  Task {
    box.value = await body()
    done.signal()
  }
  done.wait()
  return box.value!
}

/// Written once by the task, read once after the semaphore: the semaphore orders the two accesses.
final class LRMBlockingBox<T>: @unchecked Sendable {
  var value: T?
}

enum LRMPcs {
  static let discovery = AgentDiscovery(roots: .system)

  /// `Dummy` -> `ocf:heartbeat:Dummy` when exactly one OCF provider has it (pcs's short-name lookup).
  static func resolve(_ text: String) throws(PcsFailure) -> ResourceAgentName {
    if text.contains(":") {
      do { return try ResourceAgentName.parse(text) } catch {
        throw .library("Unable to parse agent '\(text)': \(error.description)")
      }
    }
    guard ResourceAgentName.isSafeName(text) else { throw .legacy("Unable to find agent '\(text)', try specifying its full name") }
    let matches = discovery.ocfProviders().map { ResourceAgentName(standard: .ocf, provider: $0, type: text) }
      .filter { discovery.isInstalled($0) }
    switch matches.count {
    case 0: throw .legacy("Unable to find agent '\(text)', try specifying its full name")
    case 1: return matches[0]
    default:
      let names = matches.map { "'\($0)'" }
      let list = names.dropLast().joined(separator: ", ") + " or " + names.last!
      throw .legacy("Multiple agents match '\(text)', please specify full name: \(list)")
    }
  }

  static func describe(_ agent: ResourceAgentName, full: Bool) throws(PcsFailure) {
    let catalog = MetadataCatalog(runner: AgentRunner())
    let result: Result<LRM.AgentMetadata, LRMError> = lrmBlocking {
      do throws(LRMError) { return .success(try await catalog.metadata(for: agent)) } catch { return .failure(error) }
    }
    switch result {
    case .success(let md): Console.outRaw(PcsAgentText.describe(md, full: full))
    case .failure(let error):
      throw .library("Agent '\(agent)' is not installed or does not provide valid metadata: \(error.description)")
    }
  }

  /// Short descriptions of `agents`, fetched with at most 4 agents running at once.
  static func shortdescs(_ agents: [ResourceAgentName]) -> [(agent: ResourceAgentName, shortdesc: String?)] {
    let catalog = MetadataCatalog(runner: AgentRunner())
    let descs: [Int: String] = lrmBlocking {
      await withTaskGroup(of: (Int, String?).self) { group in
        var next = 0
        var found: [Int: String] = [:]
        func add(_ group: inout TaskGroup<(Int, String?)>) {
          guard next < agents.count else { return }
          let i = next
          next += 1
          group.addTask { (i, try? await catalog.metadata(for: agents[i]).shortdesc) }
        }
        for _ in 0..<4 { add(&group) }
        while let (i, d) = await group.next() {
          if let d { found[i] = d }
          add(&group)
        }
        return found
      }
    }
    return agents.enumerated().map { (agent: $0.element, shortdesc: descs[$0.offset]) }
  }

  static func list(stonith: Bool, filter: String?, nodesc: Bool) throws(PcsFailure) {
    var agents =
      stonith
      ? discovery.agents(standard: .stonith) : discovery.allResourceAgents()
    if let filter {
      let f = filter.lowercased()
      agents = agents.filter { $0.description.lowercased().contains(f) }
    }
    let kind = stonith ? "stonith" : "resource"
    if agents.isEmpty {
      if filter != nil { throw .legacy("No \(kind) agents matching the filter.") }
      throw .legacy(
        stonith
          ? "No stonith agents available. Do you have fence agents installed?"
          : "No resource agents available. Do you have resource agents installed?")
    }
    let entries = nodesc ? agents.map { (agent: $0, shortdesc: String?.none) } : shortdescs(agents)
    Console.outRaw(PcsAgentText.list(entries, stonith: stonith))
  }
}

extension ResourceAgentName {
  static func isSafeName(_ s: String) -> Bool { !s.isEmpty && !s.contains("/") && s != "." && s != ".." }
}

/// `pcs resource describe [STANDARD:[PROVIDER:]]TYPE [--full]`.
struct ResourceDescribe: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show options of a resource agent.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    guard args.count == 1 else { throw .usage(ResourceCommand.self) }
    try LRMPcs.describe(try LRMPcs.resolve(args[0]), full: full)
  }
}

/// `pcs resource agents [STANDARD[:PROVIDER]]`.
struct ResourceAgents: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "agents", abstract: "List resource agents.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    guard args.count <= 1 else { throw .usage(ResourceCommand.self) }
    let d = LRMPcs.discovery
    var names: [ResourceAgentName] = []
    if let filter = args.first {
      let spec = filter.hasSuffix(":") ? String(filter.dropLast()) : filter
      let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
      if let std = parts.first.flatMap(AgentStandard.init(rawValue:)), std != .stonith,
        parts.count == 1 || (std == .ocf && ResourceAgentName.isSafeName(parts[1]))
      {
        names = d.agents(standard: std, provider: parts.count == 2 ? parts[1] : nil)
      }
      if names.isEmpty { throw .legacy("No agents found for \(filter)") }
    } else {
      names = d.standards().filter { $0 != .stonith }.flatMap { d.agents(standard: $0) }
      if names.isEmpty { throw .legacy("No agents found") }
    }
    Console.outRaw(PcsAgentText.agents(names))
  }
}

/// `pcs resource list [FILTER] [--nodesc]`.
struct ResourceList: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List resource agents with descriptions.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("nodesc")) var nodesc = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    guard args.count <= 1 else { throw .usage(ResourceCommand.self) }
    try LRMPcs.list(stonith: false, filter: args.first, nodesc: nodesc)
  }
}

/// `pcs resource standards`.
struct ResourceStandards: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "standards", abstract: "List resource agent standards.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    let names = LRMPcs.discovery.standards().filter { $0 != .stonith }.map(\.rawValue).sorted { $0.lowercased() < $1.lowercased() }
    Console.outRaw(names.map { $0 + "\n" }.joined())
  }
}

/// `pcs resource providers`.
struct ResourceProviders: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "providers", abstract: "List OCF providers.")
  @OptionGroup var global: GlobalOptions
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    let names = LRMPcs.discovery.ocfProviders().sorted { $0.lowercased() < $1.lowercased() }
    Console.outRaw(names.map { $0 + "\n" }.joined())
  }
}

/// `pcs stonith list [FILTER] [--nodesc]`.
struct StonithList: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List fence agents.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("nodesc")) var nodesc = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    guard args.count <= 1 else { throw .usage(StonithCommand.self) }
    try LRMPcs.list(stonith: true, filter: args.first, nodesc: nodesc)
  }
}

/// `pcs stonith describe AGENT [--full]` (AGENT is the fence agent's name, without `stonith:`).
struct StonithDescribe: PcsCommand {
  static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show options of a fence agent.")
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []
  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args, alsoRefuseFile: true)
    guard args.count == 1 else { throw .usage(StonithCommand.self) }
    let text = "stonith:\(args[0])"
    guard ResourceAgentName.isSafeName(args[0]), !args[0].contains(":") else {
      throw .library(
        "Agent '\(text)' is not installed or does not provide valid metadata: invalid agent name '\(text)'")
    }
    try LRMPcs.describe(ResourceAgentName(standard: .stonith, type: args[0]), full: full)
  }
}

/// Which action a `debug-*` command runs (argument-parser wants a type per command; this is all that differs).
protocol DebugActionName { static var action: DebugAction { get } }
enum DebugStart: DebugActionName { static var action: DebugAction { .start } }
enum DebugStop: DebugActionName { static var action: DebugAction { .stop } }
enum DebugMonitor: DebugActionName { static var action: DebugAction { .monitor } }
enum DebugPromote: DebugActionName { static var action: DebugAction { .promote } }
enum DebugDemote: DebugActionName { static var action: DebugAction { .demote } }

/// `pcs resource debug-start|debug-stop|debug-monitor|debug-promote|debug-demote RSC [--full]`: runs the
/// resource's agent here, with its parameters from the CIB (`-f FILE` works too); exits with the agent's rc.
struct ResourceDebug<Name: DebugActionName>: PcsCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: Name.action.rawValue, abstract: "Run the resource's \(Name.action.agentAction.rawValue) here.")
  }
  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("full")) var full = false
  @Argument(parsing: .allUnrecognized) var args: [String] = []

  func execute() throws(PcsFailure) {
    try rejectUnsupportedOptions(in: args)
    guard let rsc = args.first else { throw .legacy("You must specify a resource to \(Name.action.rawValue)") }
    guard args.count == 1 else { throw .usage(ResourceCommand.self) }
    let cib = try CIBTarget.load(global)
    let call: AgentCall
    do { call = try Name.action.call(in: cib, resource: rsc) } catch {
      switch error { case .message(let m): throw .legacy(m) }
    }
    let result = lrmBlocking { await AgentRunner().run(call) }
    Console.outRaw(Name.action.report(call, result, full: full))
    let code = Name.action.exitStatus(result)
    if code != 0 { throw PcsFailure(lines: [], exitCode: code) }
  }
}
