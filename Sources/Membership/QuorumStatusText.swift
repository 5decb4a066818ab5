/// Text renderings of the quorum state in the layouts of `corosync-quorumtool -s` (which `pcs quorum status` shows)
/// and `pcs status corosync`. Pure functions: the date is a parameter, names come from the nodelist.
public enum QuorumStatusText {
  /// `corosync-quorumtool -s`. `date` is preformatted (ctime layout, e.g. "Sat Nov 21 22:00:00 2026").
  /// With `device` (and its configured votes), the flags say Qdevice and the membership table gets the Qdevice
  /// column and line, as corosync-quorumtool prints them with corosync-qdevice registered.
  public static func quorumtool(_ s: QuorumStatus, nodes: [NodeEntry], date: String) -> String {
    quorumtool(s, nodes: nodes, date: date, device: nil, deviceVotes: 0)
  }

  public static func quorumtool(
    _ s: QuorumStatus, nodes: [NodeEntry], date: String, device: QuorumDeviceState?, deviceVotes: Int
  ) -> String {
    var out = ""
    out += "Quorum information\n"
    out += "------------------\n"
    out += "Date:             \(date)\n"
    out += "Quorum provider:  corosync_votequorum\n"
    out += "Nodes:            \(s.members.count)\n"
    out += "Node ID:          \(s.localNode.rawValue)\n"
    if let ring = s.ringID { out += "Ring ID:          \(ring.ringIDText)\n" }
    out += "Quorate:          \(s.quorate ? "Yes" : "No")\n"
    out += "\n"
    out += "Votequorum information\n"
    out += "----------------------\n"
    out += "Expected votes:   \(s.expectedVotes)\n"
    out += "Highest expected: \(s.highestExpected)\n"
    out += "Total votes:      \(s.totalVotes)\n"
    if s.quorate {
      out += "Quorum:           \(pad(String(s.quorum), 3))\n"
    } else {
      out += "Quorum:           \(s.quorum) Activity blocked\n"
    }
    var flags = ""
    if s.twoNode { flags += "2Node " }
    if s.quorate { flags += "Quorate " }
    if s.waitForAll { flags += "WaitForAll " }
    if s.lastManStanding { flags += "LastManStanding " }
    if s.autoTieBreaker { flags += "AutoTieBreaker " }
    if device != nil { flags += "Qdevice " }
    out += "Flags:            \(flags)\n"
    out += "\n"
    out += membership(s, nodes: nodes, device: device, deviceVotes: deviceVotes)
    return out
  }

  /// `pcs status corosync`: the membership table.
  /// With `device`: each member's qdevice flags (A alive, V/NV vote cast or not, NMW: no master-wins) and the
  /// Qdevice line with its votes. The arbiter grants its vote per view, so every member of this node's view is
  /// shown with this node's V/NV (Vigil's nodes do not exchange their device state).
  public static func membership(_ s: QuorumStatus, nodes: [NodeEntry]) -> String {
    membership(s, nodes: nodes, device: nil, deviceVotes: 0)
  }

  public static func membership(
    _ s: QuorumStatus, nodes: [NodeEntry], device: QuorumDeviceState?, deviceVotes: Int
  ) -> String {
    var out = "Membership information\n"
    out += "----------------------\n"
    out += device == nil ? "    Nodeid      Votes Name\n" : "    Nodeid      Votes    Qdevice Name\n"
    let flags = device.map { $0.castsVote ? "A,V,NMW" : "A,NV,NMW" }
    for m in s.members.sorted(by: { $0.nodeID < $1.nodeID }) {
      let name = nodes.first { $0.nodeID == m.nodeID }?.displayName ?? String(m.nodeID.rawValue)
      let local = m.nodeID == s.localNode ? " (local)" : ""
      let column = flags.map { leftPad($0, 10) + " " } ?? ""
      out += leftPad(String(m.nodeID.rawValue), 10) + " " + leftPad(String(m.votes), 10) + " " + column + name + local + "\n"
    }
    if device != nil { out += leftPad("0", 10) + " " + leftPad(String(deviceVotes), 10) + " " + leftPad("", 10) + " Qdevice\n" }
    return out
  }

  /// `corosync-qdevice-tool -s` (what `pcs quorum device status` prints), tabs as the tool writes them.
  public static func qdeviceTool(_ d: QuorumDeviceState) -> String {
    var out = "Qdevice information\n-------------------\n"
    out += "Model:\t\t\tNet\n"
    out += "Node ID:\t\t\(d.node.rawValue)\n"
    out += "Configured node list:\n"
    for (i, n) in d.configuredNodes.enumerated() { out += "    \(i)\tNode ID = \(n.rawValue)\n" }
    out += "Membership node list:\t" + d.members.map { String($0.rawValue) }.joined(separator: ", ") + "\n"
    out += "\n"
    out += "Qdevice-net information\n----------------------\n"
    out += "Cluster name:\t\t\(d.cluster)\n"
    out += "QNetd host:\t\t\(d.host)\n"
    out += "Algorithm:\t\t\(d.algorithm == .ffsplit ? "Fifty-Fifty split" : "LMS")\n"
    let tie: String
    switch d.tieBreaker {
    case .lowest: tie = "Node with lowest node ID"
    case .highest: tie = "Node with highest node ID"
    case .node(let id): tie = "Node with node ID \(id)"
    }
    out += "Tie-breaker:\t\t\(tie)\n"
    out += "State:\t\t\t\(d.connection)\n"
    if let h = d.heuristics {
      out += "Heuristics result:\t" + (h == .pass ? "Pass" : h == .fail ? "Fail" : "Undefined") + "\n"
    }
    return out
  }

  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
  }

  static func leftPad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
  }

  /// ctime-style date ("Sat Nov 21 22:00:00 2026") from seconds since the epoch, UTC.
  public static func ctimeDate(epochSeconds: Int64) -> String {
    let days = epochSeconds >= 0 ? epochSeconds / 86400 : (epochSeconds - 86399) / 86400
    let secs = epochSeconds - days * 86400
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    let weekday = Int((days % 7 + 11) % 7)  // 1970-01-01 was a Thursday
    let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let day = d < 10 ? " \(d)" : "\(d)"
    return "\(names[weekday]) \(months[Int(m) - 1]) \(day) \(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60)) \(y)"
  }
}
