import ArgumentParser
import Membership

#if canImport(Glibc)
  import Glibc
#endif

/// `pcs cluster setup` command line, parsed and checked the way pcs 0.11.5 checks it, plus Vigil's extensions:
/// a node option `vigil_port=PORT` and `--vigil-port-base N` (node i of the command line gets N+i-1) so that
/// several nodes can run on one machine, and `--membership native|corosync` (written as `vigil { membership: }`).
/// Pure: the words in, a plan (or the errors pcs prints) out; `corosyncConf()` renders pcs's exact layout.
struct ClusterSetupPlan: Equatable, Sendable {
  struct Node: Equatable, Sendable {
    var name: String
    var addrs: [String]
    /// True when the user gave no `addr=`: pcs then uses the name as the address and says so.
    var addrFromName: Bool
    var vigilPort: Int?
  }

  var clusterName: String
  var nodes: [Node]
  var transport = "knet"
  var transportOptions: [String: String] = [:]
  var links: [[String: String]] = []
  var compression: [String: String] = [:]
  var crypto: [String: String] = [:]
  var totem: [String: String] = [:]
  var quorum: [String: String] = [:]
  var clusterUUID: String?
  var membership: String?

  // MARK: limits and option tables (pcs 0.11.5, `pcs cluster setup --help`)

  static let nodesMax = 64  // Vigil's bound (corosync's nodelist is limited by its own configuration)
  static let knetLinksMax = 8
  static let totemOptions = [
    "block_unlisted_ips", "consensus", "downcheck", "fail_recv_const", "heartbeat_failures_allowed", "hold", "join",
    "max_messages", "max_network_delay", "merge", "miss_count_const", "send_join", "seqno_unchanged_const", "token",
    "token_coefficient", "token_retransmit", "token_retransmits_before_loss_const", "window_size",
  ]
  static let quorumOptions = ["auto_tie_breaker", "last_man_standing", "last_man_standing_window", "wait_for_all"]
  static let knetTransportOptions = ["ip_version", "knet_pmtud_interval", "link_mode"]
  static let udpTransportOptions = ["ip_version", "netmtu"]
  static let knetLinkOptions = [
    "link_priority", "linknumber", "mcastport", "ping_interval", "ping_precision", "ping_timeout", "pong_count",
    "transport",
  ]
  static let udpLinkOptions = ["bindnetaddr", "broadcast", "mcastaddr", "mcastport", "ttl"]
  static let compressionOptions = ["level", "model", "threshold"]
  static let cryptoOptions = ["cipher", "hash", "model"]

  // MARK: parsing

  /// Parses the words after `setup` (options already removed). Errors are reported on `report` as pcs prints them;
  /// legacy (command-line shape) errors are thrown at once.
  static func parse(
    _ words: [String], vigilPortBase: Int?, membership: String?, noClusterUUID: Bool, uuid: () -> String,
    report: inout Report
  ) throws(PcsFailure) -> ClusterSetupPlan {
    guard words.count >= 2 else { throw .usage(ClusterCommand.self) }
    let keywords: Set<String> = ["transport", "totem", "quorum", "link", "compression", "crypto"]
    var i = 1
    var nodes: [Node] = []
    // Nodes: NAME [addr=ADDR]... [vigil_port=PORT], until the first keyword.
    while i < words.count && !keywords.contains(words[i]) {
      let name = words[i]
      if name.contains("=") { throw .usage(ClusterCommand.self) }
      i += 1
      var addrs: [String] = []
      var port: Int?
      var unknown: [String] = []
      while i < words.count && words[i].contains("=") {
        let (k, v) = split(words[i])
        switch k {
        case "addr": addrs.append(v)
        case "vigil_port":
          guard let p = Int(v), (1...65535).contains(p) else {
            throw .legacy("'\(v)' is not a valid vigil_port value, use a port number 1..65535")
          }
          port = p
        default: if !unknown.contains(k) { unknown.append(k) }
        }
        i += 1
      }
      if !unknown.isEmpty {
        let list = unknown.sorted().map { "'\($0)'" }.joined(separator: ", ")
        throw .legacy("Unknown options \(list) for node '\(name)'")  // pcs says "options" even for one
      }
      if nodes.contains(where: { $0.name == name }) { throw .legacy("Node name '\(name)' defined multiple times") }
      nodes.append(Node(name: name, addrs: addrs, addrFromName: addrs.isEmpty, vigilPort: port))
      if nodes.count > nodesMax { throw .legacy("At most \(nodesMax) nodes are supported") }
    }
    guard !nodes.isEmpty else { throw .usage(ClusterCommand.self) }
    var plan = ClusterSetupPlan(clusterName: words[0], nodes: nodes)
    plan.membership = membership
    if !noClusterUUID { plan.clusterUUID = uuid() }
    if let base = vigilPortBase {
      for k in plan.nodes.indices where plan.nodes[k].vigilPort == nil { plan.nodes[k].vigilPort = base + k }
    }
    // Sections: transport TYPE [opts] [link opts]... [compression opts] [crypto opts], totem opts, quorum opts.
    var transportGiven = false
    var section = ""
    while i < words.count {
      let w = words[i]
      i += 1
      if keywords.contains(w) {
        switch w {
        case "transport":
          guard i < words.count, !words[i].contains("="), !keywords.contains(words[i]) else {
            throw .usage(ClusterCommand.self)
          }
          plan.transport = words[i]
          transportGiven = true
          i += 1
        case "link":
          guard section == "transport" || section == "link" || section == "compression" || section == "crypto" else {
            throw .usage(ClusterCommand.self)
          }
          plan.links.append([:])
        case "compression", "crypto":
          guard transportGiven else { throw .usage(ClusterCommand.self) }
        default: break
        }
        section = w
        continue
      }
      guard w.contains("="), !section.isEmpty else { throw .usage(ClusterCommand.self) }
      let (k, v) = split(w)
      switch section {
      case "transport": plan.transportOptions[k] = v
      case "link": plan.links[plan.links.count - 1][k] = v
      case "compression": plan.compression[k] = v
      case "crypto": plan.crypto[k] = v
      case "totem": plan.totem[k] = v
      default: plan.quorum[k] = v
      }
    }
    plan.validate(report: &report)
    return plan
  }

  private static func split(_ word: String) -> (String, String) {
    let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
  }

  var isKnet: Bool { transport == "knet" }

  /// pcs's validation of the whole command, in pcs's order; every problem is reported.
  mutating func validate(report: inout Report) {
    for n in nodes where n.addrFromName { Console.err("No addresses specified for host '\(n.name)', using '\(n.name)'") }
    for k in nodes.indices where nodes[k].addrFromName { nodes[k].addrs = [nodes[k].name] }
    let transports = ["knet", "udp", "udpu"]
    guard transports.contains(transport) else {
      report.error("'\(transport)' is not a valid transport value, use 'knet', 'udp', 'udpu'")
      return
    }
    // Addresses: count per node, the same count everywhere, unique (per vigil_port when ports are given).
    if !isKnet {
      for n in nodes where n.addrs.count != 1 {
        report.error("1 address must be specified for a node, \(n.addrs.count) addresses specified for node '\(n.name)'")
      }
    } else {
      for n in nodes where n.addrs.count > Self.knetLinksMax {
        report.error(
          "At most \(Self.knetLinksMax) addresses can be specified for a node, \(n.addrs.count) addresses specified for node '\(n.name)'")
      }
      let counts = Set(nodes.map(\.addrs.count))
      if counts.count > 1 {
        var groups: [Int: [String]] = [:]
        for n in nodes { groups[n.addrs.count, default: []].append(n.name) }
        let text = groups.keys.sorted().map { c in
          let names = groups[c]!.sorted().map { "'\($0)'" }.joined(separator: ", ")
          return "node\(groups[c]!.count > 1 ? "s" : "") \(names) \(groups[c]!.count > 1 ? "have" : "has") \(c) address\(c == 1 ? "" : "es")"
        }.joined(separator: "; ")
        report.error("All nodes must have the same number of addresses; \(text)")
      }
    }
    var seen: [String: Int] = [:]
    var duplicates: [String] = []
    for n in nodes {
      for a in n.addrs {
        let key = n.vigilPort.map { "\(a):\($0)" } ?? a
        seen[key, default: 0] += 1
        if seen[key] == 2 { duplicates.append(n.vigilPort == nil ? a : "\(a) vigil_port \(n.vigilPort!)") }
      }
    }
    if !duplicates.isEmpty {
      report.error("Node addresses must be unique, duplicate addresses: \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))")
    }
    var ports: [Int: String] = [:]
    for n in nodes {
      guard let p = n.vigilPort else { continue }
      if !(1...65535).contains(p) { report.error("vigil_port \(p) of node '\(n.name)' is not a port number 1..65535") }
      if let other = ports[p], nodes.first(where: { $0.name == other })?.addrs == n.addrs {
        report.error("Nodes '\(other)' and '\(n.name)' have the same address and vigil_port \(p)")
      }
      ports[p] = n.name
    }
    let unresolvable = nodes.flatMap(\.addrs).filter { !Self.resolves($0) }
    if !unresolvable.isEmpty {
      var unique: [String] = []
      for a in unresolvable where !unique.contains(a) { unique.append(a) }
      report.forceable("Unable to resolve addresses: \(unique.map { "'\($0)'" }.joined(separator: ", "))")
    }
    // Transport, link, compression and crypto options.
    let transportAllowed = isKnet ? Self.knetTransportOptions : Self.udpTransportOptions
    checkNames(transportOptions, allowed: transportAllowed, kind: "transport", report: &report)
    if let v = transportOptions["ip_version"], !["ipv4", "ipv6", "ipv4-6", "ipv6-4"].contains(v) {
      report.error("'\(v)' is not a valid ip_version value, use 'ipv4', 'ipv4-6', 'ipv6', 'ipv6-4'")
    }
    if let v = transportOptions["link_mode"], !["active", "passive", "rr"].contains(v) {
      report.error("'\(v)' is not a valid link_mode value, use 'active', 'passive', 'rr'")
    }
    for key in ["knet_pmtud_interval", "netmtu"] { checkInteger(transportOptions, key, report: &report) }
    let linkAllowed = isKnet ? Self.knetLinkOptions : Self.udpLinkOptions
    let linkCount = nodes.first?.addrs.count ?? 1
    if links.count > linkCount {
      report.error("Cannot set options for non-existent link\(links.count - linkCount > 1 ? "s" : "") "
        + (linkCount..<links.count).map { "'\($0)'" }.joined(separator: ", ")
        + ", \(linkCount) link\(linkCount > 1 ? "s are" : " is") defined starting with link 0")
    }
    for link in links {
      checkNames(link, allowed: linkAllowed, kind: "link", report: &report)
      for key in ["mcastport", "ttl", "ping_interval", "ping_precision", "ping_timeout", "pong_count", "link_priority", "linknumber"] {
        checkInteger(link, key, report: &report)
      }
      if link["ping_interval"] != nil && link["ping_timeout"] == nil {
        report.error("If link option 'ping_interval' is specified, link option 'ping_timeout' must be specified as well")
      }
      if link["ping_timeout"] != nil && link["ping_interval"] == nil {
        report.error("If link option 'ping_timeout' is specified, link option 'ping_interval' must be specified as well")
      }
      if let t = link["transport"], !["sctp", "udp"].contains(t) {
        report.error("'\(t)' is not a valid transport value, use 'sctp', 'udp'")
      }
    }
    if !isKnet && (!compression.isEmpty || !crypto.isEmpty) {
      report.error("Transport '\(transport)' does not support compression nor crypto options")
    }
    checkNames(compression, allowed: Self.compressionOptions, kind: "compression", report: &report)
    checkNames(crypto, allowed: Self.cryptoOptions, kind: "crypto", report: &report)
    if let c = crypto["cipher"], !["none", "aes256", "aes192", "aes128"].contains(c) {
      report.error("'\(c)' is not a valid cipher value, use 'aes128', 'aes192', 'aes256', 'none'")
    }
    if let h = crypto["hash"], !["none", "md5", "sha1", "sha256", "sha384", "sha512"].contains(h) {
      report.error("'\(h)' is not a valid hash value, use 'md5', 'none', 'sha1', 'sha256', 'sha384', 'sha512'")
    }
    if crypto["cipher"] != nil && crypto["cipher"] != "none" && crypto["hash"] == "none" {
      report.error("When crypto cipher is enabled, crypto hash must be enabled as well")
    }
    // Totem and quorum options.
    checkNames(totem, allowed: Self.totemOptions, kind: "totem", report: &report)
    for (k, v) in totem.sorted(by: { $0.key < $1.key }) where Self.totemOptions.contains(k) {
      if k == "block_unlisted_ips" {
        if v != "yes" && v != "no" { report.error("'\(v)' is not a valid block_unlisted_ips value, use 'no', 'yes'") }
      } else if UInt64(v) == nil {
        report.error("'\(v)' is not a valid \(k) value, use a non-negative integer")
      }
    }
    checkNames(quorum, allowed: Self.quorumOptions, kind: "quorum", report: &report)
    for k in ["auto_tie_breaker", "last_man_standing", "wait_for_all"] {
      if let v = quorum[k], v != "0" && v != "1" { report.error("'\(v)' is not a valid \(k) value, use '0', '1'") }
    }
    if let v = quorum["last_man_standing_window"], (Int(v) ?? 0) <= 0 {
      report.error("'\(v)' is not a valid last_man_standing_window value, use a positive integer")
    }
    if quorum["last_man_standing_window"] != nil && quorum["last_man_standing"] != "1" {
      report.error(
        "If quorum option 'last_man_standing_window' is enabled, quorum option 'last_man_standing' must be enabled as well")
    }
    if let m = membership, m != "native" && m != "corosync" {
      report.error("'\(m)' is not a valid --membership value, use 'corosync', 'native'")
    }
  }

  private func checkNames(_ options: [String: String], allowed: [String], kind: String, report: inout Report) {
    let bad = options.keys.filter { !allowed.contains($0) }.sorted()
    guard !bad.isEmpty else { return }
    let list = allowed.map { "'\($0)'" }.joined(separator: ", ")
    if bad.count == 1 {
      report.error("invalid \(kind) option '\(bad[0])', allowed options are: \(list)")
    } else {
      report.error("invalid \(kind) options: \(bad.map { "'\($0)'" }.joined(separator: ", ")), allowed options are: \(list)")
    }
  }

  private func checkInteger(_ options: [String: String], _ key: String, report: inout Report) {
    if let v = options[key], UInt64(v) == nil {
      report.error("'\(v)' is not a valid \(key) value, use a non-negative integer")
    }
  }

  /// An IP literal, or a name the resolver knows.
  static func resolves(_ address: String) -> Bool {
    var a4 = in_addr()
    var a6 = in6_addr()
    if inet_pton(AF_INET, address, &a4) == 1 || inet_pton(AF_INET6, address, &a6) == 1 { return true }
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var result: UnsafeMutablePointer<addrinfo>?
    let rc = getaddrinfo(address, nil, &hints, &result)
    if let result { freeaddrinfo(result) }
    return rc == 0
  }

  // MARK: rendering

  /// corosync.conf exactly as pcs 0.11.5 writes it (section and key order, 4-space indent, blank lines between
  /// nested sections), with Vigil's `vigil_port` per node and a `vigil` section when asked for.
  func corosyncConf() -> String {
    var out = "totem {\n"
    func pair(_ k: String, _ v: String, _ indent: String = "    ") { out += "\(indent)\(k): \(v)\n" }
    pair("version", "2")
    pair("cluster_name", clusterName)
    pair("transport", transport)
    for (k, v) in totem.sorted(by: { $0.key < $1.key }) { pair(k, v) }
    for (k, v) in transportOptions.sorted(by: { $0.key < $1.key }) { pair(k, v) }
    for (k, v) in compression.sorted(by: { $0.key < $1.key }) { pair("knet_compression_" + k, v) }
    if isKnet {
      var c = crypto
      if c["cipher"] == nil && c["hash"] == nil {
        c["cipher"] = "aes256"
        c["hash"] = "sha256"
      }
      for (k, v) in c.sorted(by: { $0.key < $1.key }) { pair("crypto_" + k, v) }
    }
    if let uuid = clusterUUID { pair("cluster_uuid", uuid) }
    // Links: numbered by `linknumber` when given, else in order among the numbers still free.
    var numbered: [(Int, [String: String])] = []
    var used = Set(links.compactMap { $0["linknumber"].flatMap { Int($0) } })
    var next = 0
    for link in links where !link.isEmpty {
      var l = link
      let number: Int
      if let n = link["linknumber"].flatMap({ Int($0) }) {
        number = n
      } else {
        while used.contains(next) { next += 1 }
        number = next
        used.insert(next)
      }
      l["linknumber"] = String(number)
      numbered.append((number, l))
    }
    for (_, link) in numbered.sorted(by: { $0.0 < $1.0 }) {
      out += "\n    interface {\n"
      var keyed: [(String, String)] = []
      for (k, v) in link {
        let prefixed = isKnet && !["linknumber", "mcastport"].contains(k) ? "knet_" + k : k
        keyed.append((prefixed, v))
      }
      for (k, v) in keyed.sorted(by: { $0.0 < $1.0 }) { pair(k, v, "        ") }
      out += "    }\n"
    }
    out += "}\n\nnodelist {\n"
    for (index, n) in nodes.enumerated() {
      if index > 0 { out += "\n" }
      out += "    node {\n"
      for (k, a) in n.addrs.enumerated() { pair("ring\(k)_addr", a, "        ") }
      pair("name", n.name, "        ")
      pair("nodeid", String(index + 1), "        ")
      if let p = n.vigilPort { pair("vigil_port", String(p), "        ") }
      out += "    }\n"
    }
    out += "}\n\nquorum {\n"
    pair("provider", "corosync_votequorum")
    if nodes.count == 2 && quorum["auto_tie_breaker"] != "1" { pair("two_node", "1") }
    for (k, v) in quorum.sorted(by: { $0.key < $1.key }) { pair(k, v) }
    out += "}\n\nlogging {\n"
    pair("to_logfile", "yes")
    pair("logfile", "/var/log/corosync/corosync.log")
    pair("to_syslog", "yes")
    pair("timestamp", "on")
    out += "}\n"
    if let m = membership, m != "native" {
      out += "\nvigil {\n"
      pair("membership", m)
      out += "}\n"
    }
    return out
  }
}
