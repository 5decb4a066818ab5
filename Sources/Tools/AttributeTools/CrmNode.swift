import CIB
import ControlProtocol
import PolicyEngine

/// Vigil's crm_node: the local node's name and id, the cluster's nodes, the partition and quorum, with Pacemaker
/// 2.1.5's output and exit codes.
public enum CrmNode {
  public static let specs: [OptionSpec] = [
    OptionSpec("name", "n"), OptionSpec("name-for-id", "N", .required), OptionSpec("cluster-id", "i"),
    OptionSpec("list", "l"), OptionSpec("partition", "p"), OptionSpec("quorum", "q"), OptionSpec("remove", "R", .required),
    OptionSpec("cluster-name", nil), OptionSpec("verbose", "V"), OptionSpec("version", "$"), OptionSpec("help", "h"),
    OptionSpec("force", "f"),
  ]

  public enum Command: Equatable, Sendable {
    case name, nameForID(String), clusterID, list, partition, quorum, clusterName, version
  }

  public static func parse(_ args: [String]) -> Result<Command, ToolResult> {
    let p: ParsedOptions
    switch ParsedOptions.parse(args, specs: specs) {
    case .success(let parsed): p = parsed
    case .failure(let e): return .failure(ToolResult(stderr: "crm_node: \(e)\n", exitCode: CRMExitCode.usage))
    }
    if p.has("remove") {
      return .failure(ToolResult(stderr: "crm_node: --remove is not supported: use pcs cluster node remove\n",
                                 exitCode: CRMExitCode.usage))
    }
    var command: Command?
    for o in p.options {
      switch o.name {
      case "name": command = .name
      case "name-for-id": command = .nameForID(o.value ?? "")
      case "cluster-id": command = .clusterID
      case "list": command = .list
      case "partition": command = .partition
      case "quorum": command = .quorum
      case "cluster-name": command = .clusterName
      case "version": command = .version
      default: break
      }
    }
    guard let command else {
      return .failure(ToolResult(stderr: "crm_node: Command option required (-n, -N, -i, -l, -p or -q)\n",
                                 exitCode: CRMExitCode.usage))
    }
    return .success(command)
  }

  public static func run(_ args: [String], cluster: any ClusterAccess) -> ToolResult {
    switch parse(args) {
    case .failure(let r): return r
    case .success(let c): return run(c, cluster: cluster)
    }
  }

  public static func run(_ command: Command, cluster: any ClusterAccess) -> ToolResult {
    if command == .version { return ToolResult(stdout: "Pacemaker 2.1.5 (Vigil)\n") }
    let status: LiveStatusInfo
    do {
      let response = try cluster.send(.status)
      guard let s = response.status else { return error(response.error ?? "no status from clusterd", CRMExitCode.error) }
      status = s
    } catch {
      return self.error("Could not connect to controller: \(connectionText(error))", CRMExitCode.disconnect)
    }
    let nodes = configuredNodes(status.cib)
    switch command {
    case .name:
      return ToolResult(stdout: status.localNode + "\n")
    case .nameForID(let id):
      guard let n = nodes.first(where: { $0.id == id }) else {
        return error("Could not map node ID \(id) to a name", CRMExitCode.noSuch)
      }
      return ToolResult(stdout: n.name + "\n")
    case .clusterID:
      guard let n = nodes.first(where: { $0.name == status.localNode }) else {
        return error("Could not find the local node's ID", CRMExitCode.noSuch)
      }
      return ToolResult(stdout: n.id + "\n")
    case .list:
      let lines = nodes.map { n in "\(n.id) \(n.name) \(status.members.contains(n.name) ? "member" : "lost")\n" }
      return ToolResult(stdout: lines.joined())
    case .partition:
      let members = nodes.filter { status.members.contains($0.name) }.map(\.name)
      return ToolResult(stdout: members.joined(separator: " ") + "\n")
    case .quorum:
      return ToolResult(stdout: status.quorate ? "1\n" : "0\n", exitCode: status.quorate ? 0 : CRMExitCode.quorum)
    case .clusterName:
      return ToolResult(stdout: status.clusterName + "\n")
    case .version:
      preconditionFailure("answered above")
    }
  }

  /// The nodes of the CIB's `<nodes>`, in node id order (numerically where the ids are numbers).
  static func configuredNodes(_ xml: String) -> [(id: String, name: String)] {
    guard let cib = try? CIBXML.parse(xml) else { return [] }
    let nodes = cib.firstElement(named: "configuration")?.firstElement(named: "nodes")?.elements ?? []
    return nodes.filter { $0.name == "node" }.compactMap { n in
      n.id.map { ($0, n[attribute: "uname"] ?? $0) }
    }.sorted { a, b in
      if let x = Int(a.id), let y = Int(b.id) { return x < y }
      return a.id < b.id
    }
  }

  static func error(_ text: String, _ code: Int32) -> ToolResult {
    ToolResult(stderr: "error: \(text)\n", exitCode: code)
  }
}
