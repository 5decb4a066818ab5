// Serves `pcs resource create/update/promotable` and any other short-lived caller.
// Reads nothing but its own cache files and the agent's inode; parsing stays `AgentMetadata.parse`.
import CIB
import Files

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Agents' meta-data kept on disk between processes, for callers that live a few milliseconds (pcs).
///
/// Why it exists: `MetadataCatalog` caches in memory, which a daemon keeps but a `pcs resource create` loses
/// on exit; running a shell agent's `meta-data` action costs ~80 ms, more than the whole rest of the command.
/// An entry is the agent's raw meta-data XML under a first line naming the executable's identity (path,
/// mtime in ns, size): reinstalling or editing the agent changes that identity, so a stale entry is never
/// used. An entry that does not match, cannot be read or does not parse is ignored (and rewritten by the
/// next store). Entries are written atomically (temporary file, fsync, rename, fsync of the directory).
/// Bounded: entries larger than `entryBytesMax` are neither written nor read.
public struct MetadataDiskCache: Sendable, Equatable {
  public let directory: String
  public let entryBytesMax: Int

  static let magic = "vigil-agent-metadata 1"

  public init(directory: String, entryBytesMax: Int = 1 << 20) {
    precondition(!directory.isEmpty && entryBytesMax > 0)
    self.directory = directory
    self.entryBytesMax = entryBytesMax
  }

  /// Where the cache lives: `VIGIL_METADATA_CACHE` ("off" disables it), else /var/cache/vigil/metadata for
  /// root, else `$XDG_CACHE_HOME/vigil/metadata` or `$HOME/.cache/vigil/metadata`; nil when none applies.
  public static func defaultDirectory(environment: [String: String], isRoot: Bool) -> String? {
    if let explicit = environment["VIGIL_METADATA_CACHE"], !explicit.isEmpty {
      return explicit == "off" ? nil : explicit
    }
    if isRoot { return "/var/cache/vigil/metadata" }
    if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/vigil/metadata" }
    if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.cache/vigil/metadata" }
    return nil
  }

  /// `path mtime-ns size` of a regular executable file, or nil when it is not one.
  public static func identity(ofExecutable path: String) -> String? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(path, X_OK) == 0 else { return nil }
    let mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    return "\(path) \(mtimeNs) \(st.st_size)"
  }

  /// The cache file of `agent` (agent names hold no '/', see `ResourceAgentName.parse`).
  public func entryPath(_ agent: ResourceAgentName) -> String { "\(directory)/\(agent.description).xml" }

  /// The cached meta-data of `agent` when its entry was written for the executable as it is now.
  public func load(_ agent: ResourceAgentName, executablePath: String) -> AgentMetadata? {
    guard let identity = Self.identity(ofExecutable: executablePath),
      let bytes = readFile(entryPath(agent), bytesMax: entryBytesMax),
      let newline = bytes.firstIndex(of: UInt8(ascii: "\n"))
    else { return nil }
    guard String(decoding: bytes[..<newline], as: UTF8.self) == "\(Self.magic) \(identity)" else { return nil }
    let xml = String(decoding: bytes[(newline + 1)...], as: UTF8.self)
    return try? AgentMetadata.parse(xml, agent: agent, inputBytesMax: entryBytesMax)
  }

  /// Keeps `xml` (already known to parse) for the executable as it is now. Best effort: a cache that cannot
  /// be written only costs the next caller the agent run, so failures are returned, not thrown.
  @discardableResult
  public func store(_ agent: ResourceAgentName, executablePath: String, xml: String) -> Bool {
    guard let identity = Self.identity(ofExecutable: executablePath) else { return false }
    let content = Array("\(Self.magic) \(identity)\n\(xml)".utf8)
    guard content.count <= entryBytesMax, makeDirectories(directory) else { return false }
    return (try? FileIO.writeAtomically(path: entryPath(agent), bytes: content, mode: 0o644)) != nil
  }

  /// Meta-data of `agent`: from the cache when fresh, else from the agent (then cached). LSB and service
  /// scripts are read from their INIT INFO header (cheap, never cached); systemd units have none.
  public func metadata(
    for agent: ResourceAgentName, runner: AgentRunner, timeout: Duration = .seconds(30)
  ) async throws(LRMError) -> AgentMetadata {
    let path = runner.roots.executablePath(for: agent)
    switch agent.standard {
    case .lsb, .service, .systemd:
      return try await MetadataCatalog(runner: runner, timeout: timeout).metadata(for: agent)
    case .ocf, .stonith:
      if let hit = load(agent, executablePath: path) { return hit }
      guard Self.identity(ofExecutable: path) != nil else { throw .agentNotInstalled(agent, path: path) }
      let result = await runner.run(AgentCall(resource: "meta-data", agent: agent, action: .metaData, timeout: timeout))
      switch result.status {
      case .notInstalled: throw .agentNotInstalled(agent, path: path)
      case .done where result.ocf == .success && !result.standardOutput.isEmpty:
        let md = try AgentMetadata.parse(result.standardOutput, agent: agent)
        store(agent, executablePath: path, xml: result.standardOutput)
        return md
      default:
        throw .metadataUnavailable(agent, reason: result.summary)
      }
    }
  }

  /// The synchronous fast path of `metadata(for:runner:)`: a fresh cache entry, or nil.
  public func cachedMetadata(for agent: ResourceAgentName, roots: AgentRoots) -> AgentMetadata? {
    guard agent.standard == .ocf || agent.standard == .stonith else { return nil }
    return load(agent, executablePath: roots.executablePath(for: agent))
  }

  private func readFile(_ path: String, bytesMax: Int) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 { return nil }
      if n == 0 { return out }
      out.append(contentsOf: buffer[0..<n])
      if out.count > bytesMax { return nil }
    }
  }

  private func makeDirectories(_ path: String) -> Bool {
    var st = stat()
    if stat(path, &st) == 0 { return (st.st_mode & S_IFMT) == S_IFDIR }
    let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    if !parent.isEmpty && !makeDirectories(parent) { return false }
    return mkdir(path, 0o755) == 0 || errno == EEXIST
  }
}
