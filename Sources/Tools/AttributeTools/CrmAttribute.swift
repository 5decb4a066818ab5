import CIB
import ControlProtocol
import PolicyEngine

/// Where crm_attribute reads and writes: the live cluster through clusterd, or a CIB file (CIB_file=FILE).
public enum AttributeBackend: Sendable {
  case live(any ClusterAccess)
  case file(String)
}

/// Vigil's crm_attribute: Pacemaker 2.1.5's options, output and exit codes (checked against /usr/sbin/crm_attribute
/// on the same CIB file where installed).
public enum CrmAttribute {
  public static let specs: [OptionSpec] = [
    OptionSpec("name", "n", .required), OptionSpec("update", "v", .required), OptionSpec("query", "G"),
    OptionSpec("delete", "D"), OptionSpec("node", "N", .required), OptionSpec("uname", "U", .required),
    OptionSpec("lifetime", "l", .required), OptionSpec("type", "t", .required), OptionSpec("quiet", "q"),
    OptionSpec("default", "d", .required), OptionSpec("set-name", "s", .required), OptionSpec("id", "i", .required),
    OptionSpec("promotion", "p", .optional), OptionSpec("resource", "r", .required), OptionSpec("verbose", "V"),
    OptionSpec("version", "$"), OptionSpec("help", "h"), OptionSpec("output-as", nil, .required),
    OptionSpec("attr-value", "W", .required), OptionSpec("get-value", nil), OptionSpec("delete-attr", nil),
    OptionSpec("attr-id", nil, .required),
  ]

  public enum Operation: Equatable, Sendable {
    case query(default: String?)
    case update(String)
    case delete
  }

  /// What the command line asks. `node` nil for a node attribute: the local node.
  public struct Command: Equatable, Sendable {
    public var name: String
    public var operation: Operation
    public var section: AttributeSection
    public var node: String?
    public var setID: String?
    public var quiet: Bool
  }

  /// `environment`: OCF_RESOURCE_INSTANCE names the resource of `--promotion` without an argument.
  public static func parse(_ args: [String], environment: [String: String]) -> Result<Command, ToolResult> {
    let p: ParsedOptions
    switch ParsedOptions.parse(args, specs: specs) {
    case .success(let parsed): p = parsed
    case .failure(let e): return .failure(fail(e.description, CRMExitCode.usage))
    }
    var name = p.value("name")
    if p.has("promotion") {
      guard let rsc = p.value("promotion") ?? p.value("resource") ?? environment["OCF_RESOURCE_INSTANCE"] else {
        return .failure(fail("-p/--promotion must be called from an OCF resource agent or with a resource ID specified",
                             CRMExitCode.usage))
      }
      name = "master-\(rsc)"
    }
    guard let name, !name.isEmpty else {
      return .failure(fail("Error performing operation: a name is required (-n NAME)", CRMExitCode.usage))
    }
    let node = p.value("node") ?? p.value("uname")
    var section: AttributeSection
    if let t = p.value("type") {
      switch t {
      case "status": section = .status
      case "nodes", "forever": section = .nodes
      case "crm_config": section = .crmConfig
      default: return .failure(fail("Error performing operation: unknown type \(t) (use nodes, status or crm_config)", CRMExitCode.usage))
      }
    } else if let l = p.value("lifetime") {
      guard let s = AttributeSection(lifetime: l) else {
        return .failure(fail("Error performing operation: unknown lifetime \(l) (use reboot or forever)", CRMExitCode.usage))
      }
      section = s
    } else if p.has("promotion") {
      section = .status
    } else {
      section = node == nil ? .crmConfig : .nodes
    }
    var op = Operation.query(default: p.value("default"))
    for o in p.options {
      switch o.name {
      case "update", "attr-value": op = .update(o.value ?? "")
      case "delete", "delete-attr": op = .delete
      case "query", "get-value": op = .query(default: p.value("default"))
      default: break
      }
    }
    return .success(Command(name: name, operation: op, section: section, node: section == .crmConfig ? nil : node,
                            setID: p.value("set-name"), quiet: p.has("quiet")))
  }

  public static func run(_ args: [String], environment: [String: String], backend: AttributeBackend) -> ToolResult {
    if args.contains("--version") || args.contains("-$") { return ToolResult(stdout: "Pacemaker 2.1.5 (Vigil)\n") }
    switch parse(args, environment: environment) {
    case .failure(let r): return r
    case .success(let c): return run(c, environment: environment, backend: backend)
    }
  }

  public static func run(_ command: Command, environment: [String: String], backend: AttributeBackend) -> ToolResult {
    var c = command
    if c.section != .crmConfig && c.node == nil {
      switch backend {
      case .live(let cluster):
        guard let local = try? cluster.send(.status).status?.localNode else {
          return fail("Error performing operation: Transport endpoint is not connected", CRMExitCode.disconnect)
        }
        c.node = local
      case .file:
        guard let local = environment["OCF_RESKEY_CRM_meta_on_node"] else {
          return fail("Error performing operation: no node given (-N NODE) for a node attribute of a CIB file",
                      CRMExitCode.usage)
        }
        c.node = local
      }
    }
    let cib: CIBElement
    switch loadCIB(backend) {
    case .success(let root): cib = root
    case .failure(let r): return r
    }
    if let node = c.node, NodeAttributes.nodeID(of: node, in: cib) == nil {
      return fail("Could not map name=\(node) to a UUID", CRMExitCode.noSuch)
    }
    switch c.operation {
    case .query(let fallback):
      guard let value = (try? NodeAttributes.value(c.name, section: c.section, node: c.node, setID: c.setID, in: cib))
        ?? nil ?? fallback
      else { return fail("Error performing operation: No such device or address", CRMExitCode.noSuch) }
      if c.quiet { return ToolResult(stdout: value + "\n") }
      return ToolResult(stdout: "scope=\(c.section.rawValue)  name=\(c.name) value=\(value)\n")
    case .update(let value):
      return write(c, value: value, cib: cib, backend: backend)
    case .delete:
      return write(c, value: nil, cib: cib, backend: backend)
    }
  }

  static func write(_ c: Command, value: String?, cib: CIBElement, backend: AttributeBackend) -> ToolResult {
    let setID = c.setID ?? defaultSetID(c, cib: cib)
    func failed(_ why: String, _ code: Int32) -> ToolResult {
      var r = fail("Error performing operation: \(why)", code)
      if let value { r.stderr = "Error setting \(c.name)=\(value) (section=\(c.section.rawValue), set=\(setID)): \(why)\n" + r.stderr }
      return r
    }
    switch backend {
    case .live(let cluster):
      let scope = AttributeScope(rawValue: c.section.rawValue)!
      let update = AttributeUpdate(name: c.name, value: value, node: c.node, scope: scope, setID: c.setID)
      let response: ControlResponse
      do { response = try cluster.send(.updateAttribute(update)) } catch {
        return failed(connectionText(error), CRMExitCode.disconnect)
      }
      if let e = response.error { return failed(e, e.hasPrefix("Could not map") ? CRMExitCode.noSuch : CRMExitCode.error) }
      return ToolResult()
    case .file(let path):
      var next: CIBElement
      do {
        next = try NodeAttributes.set(c.name, value: value, section: c.section, node: c.node, setID: c.setID, in: cib)
      } catch { return failed(error.description, CRMExitCode.noSuch) }
      guard next != cib else { return ToolResult() }
      do {
        _ = try CIBVersion.stamp(&next, after: cib)
        try CIBFile.write(next, to: path)
      } catch { return failed("\(error)", CRMExitCode.error) }
      return ToolResult()
    }
  }

  static func defaultSetID(_ c: Command, cib: CIBElement) -> String {
    let id = c.node.flatMap { NodeAttributes.nodeID(of: $0, in: cib) } ?? ""
    switch c.section {
    case .status: return "status-\(id)"
    case .nodes: return "nodes-\(id)"
    case .crmConfig: return "cib-bootstrap-options"
    }
  }

  static func loadCIB(_ backend: AttributeBackend) -> Result<CIBElement, ToolResult> {
    switch backend {
    case .live(let cluster):
      let response: ControlResponse
      do { response = try cluster.send(.getCIB) } catch {
        return .failure(fail("Could not connect to the CIB: \(connectionText(error))", CRMExitCode.disconnect))
      }
      if let e = response.error { return .failure(fail("Error performing operation: \(e)", CRMExitCode.error)) }
      do { return .success(try CIBXML.parse(response.cib ?? "")) } catch {
        return .failure(fail("the live CIB does not parse: \(error)", CRMExitCode.software))
      }
    case .file(let path):
      do { return .success(try CIBXML.parse(fileAt: path)) } catch {
        return .failure(fail("Could not connect to the CIB: No such device or address (\(error))", CRMExitCode.noSuch))
      }
    }
  }

  static func fail(_ text: String, _ code: Int32) -> ToolResult {
    ToolResult(stderr: "crm_attribute: \(text)\n", exitCode: code)
  }
}
