import CIB
import ControlProtocol

/// Vigil's attrd_updater: Pacemaker 2.1.5's options, output and exit codes, over the node's clusterd.
///
/// Agents call it on every monitor (ocf:pacemaker:ping: `attrd_updater -n pingd -v 1000 -d 5s`); the node's
/// attribute manager holds the value and writes it once stable for the dampening (`AttributeManager`).
public enum AttrdUpdater {
  public static let specs: [OptionSpec] = [
    OptionSpec("name", "n", .required), OptionSpec("pattern", "P", .required),
    OptionSpec("update", "U", .required), OptionSpec("update", "v", .required), OptionSpec("update-both", "B", .required),
    OptionSpec("update-delay", "Y"), OptionSpec("query", "Q"), OptionSpec("delete", "D"), OptionSpec("refresh", "R"),
    OptionSpec("delay", "d", .required), OptionSpec("set", "s", .required), OptionSpec("node", "N", .required),
    OptionSpec("all", "A"), OptionSpec("lifetime", "l", .required), OptionSpec("section", "S", .required),
    OptionSpec("private", "p"), OptionSpec("wait", "W", .required), OptionSpec("utilization", "z"),
    OptionSpec("quiet", "q"), OptionSpec("verbose", "V"), OptionSpec("version", "$"), OptionSpec("help", "h"),
    OptionSpec("output-as", nil, .required),
  ]

  /// What the command line asks.
  public enum Command: Equatable, Sendable {
    case query(name: String, node: String?, all: Bool)
    /// -U/-v, -B (value and dampening), -D (value nil), -Y (dampening only: `value` unused).
    case update(AttributeUpdate, delayOnly: Bool)
    /// -R: values are written through the DC as they change, so there is nothing to resend.
    case refresh
    case version
  }

  /// Reads the command line (GLib's rules: the last command option wins).
  public static func parse(_ args: [String]) -> Result<Command, ToolResult> {
    let parsed: ParsedOptions
    switch ParsedOptions.parse(args, specs: specs) {
    case .success(let p): parsed = p
    case .failure(let e): return .failure(usage(e.description))
    }
    if parsed.has("version") { return .success(.version) }
    if parsed.has("pattern") { return .failure(usage("Error: --pattern is not supported by this attrd_updater")) }
    if parsed.has("utilization") { return .failure(usage("Error: --utilization is not supported by this attrd_updater")) }
    if let l = parsed.value("lifetime") ?? parsed.value("section"),
       !["reboot", "status", "forever", "nodes"].contains(l) {
      return .failure(usage("Unknown value for --lifetime: \(l)"))
    }
    if let w = parsed.value("wait"), !["no", "local", "cluster"].contains(w) {
      return .failure(usage("--wait= must be one of 'no', 'local', 'cluster'"))
    }
    var command = "Q"
    var value: String?
    for o in parsed.options {
      switch o.name {
      case "update": command = "U"; value = o.value
      case "update-both": command = "B"; value = o.value
      case "update-delay": command = "Y"
      case "query": command = "Q"
      case "delete": command = "D"
      case "refresh": command = "R"
      default: break
      }
    }
    if command == "R" { return .success(.refresh) }
    guard let name = parsed.value("name") else { return .failure(usage("Command requires --name or --pattern argument")) }
    let node = parsed.value("node")
    if command == "Q" { return .success(.query(name: name, node: node, all: parsed.has("all"))) }
    var dampenMs: Int64?
    if let d = parsed.value("delay") {
      do { dampenMs = try Milliseconds(time: d).value } catch {
        return .failure(usage("Invalid --delay \(d): \(error.message)"))
      }
    }
    let update = AttributeUpdate(
      name: name, value: command == "D" ? nil : value, node: node, scope: .status, setID: parsed.value("set"),
      managed: true, dampenMs: dampenMs)
    return .success(.update(update, delayOnly: command == "Y"))
  }

  public static func run(_ args: [String], cluster: any ClusterAccess) -> ToolResult {
    switch parse(args) {
    case .failure(let r): return r
    case .success(let c): return run(c, cluster: cluster)
    }
  }

  public static func run(_ command: Command, cluster: any ClusterAccess) -> ToolResult {
    switch command {
    case .version:
      return ToolResult(stdout: "Pacemaker 2.1.5 (Vigil)\n")
    case .refresh:
      return ToolResult()
    case .query(let name, let node, let all):
      let response: ControlResponse
      do { response = try cluster.send(.queryAttribute(name: name, node: node, all: all)) } catch {
        return fail("Could not connect to attrd: \(connectionText(error))", CRMExitCode.disconnect)
      }
      if let e = response.error { return fail("Could not query value of \(name): \(e)", CRMExitCode.noSuch) }
      let values = response.attributes ?? []
      guard !values.isEmpty else {
        return fail("Could not query value of \(name): attribute does not exist", CRMExitCode.config)
      }
      return ToolResult(stdout: values.map { "name=\"\($0.name)\" host=\"\($0.node)\" value=\"\($0.value)\"\n" }.joined())
    case .update(var update, let delayOnly):
      if delayOnly {
        // -Y changes the dampening only: the manager gets its current value again with the new dampening.
        guard update.dampenMs != nil else { return fail("Warning: 'Y' command given without required --delay", 0) }
        let current = try? cluster.send(.queryAttribute(name: update.name, node: update.node, all: false))
        update.value = current?.attributes?.first?.value
      }
      let shown = "\(update.name)=\(update.value ?? "(null)")"
      let response: ControlResponse
      do { response = try cluster.send(.updateAttribute(update)) } catch {
        return fail("Could not update \(shown): \(connectionText(error))", CRMExitCode.disconnect)
      }
      if let e = response.error {
        return fail("Could not update \(shown): \(e)", e.hasPrefix("Could not map") ? CRMExitCode.noSuch : CRMExitCode.error)
      }
      return ToolResult()
    }
  }

  static func usage(_ text: String) -> ToolResult { fail(text, CRMExitCode.usage) }
  static func fail(_ text: String, _ code: Int32) -> ToolResult {
    ToolResult(stderr: "attrd_updater: \(text)\n", exitCode: code)
  }
}
