import CIB
import Controller
import ControlProtocol
import Foundation
import Membership
import PolicyEngine
import Testing

/// The DC replicates each new CIB version as a diff from the one before; a member whose copy is not the diff's base
/// asks for the whole CIB; the first replication of a view is whole.
@Suite struct DiffReplicationTests {
  func booted() throws -> NodeSimulation {
    var sim = NodeSimulation(nodeCount: 3, cib: try simulationCIB())
    for i in 0..<3 { sim.start(i) }
    sim.installView([0, 1, 2])
    sim.run(forMs: 3_000)
    return sim
  }

  func write(_ sim: inout NodeSimulation, through node: Int, constraint: String) throws -> ControlResponse? {
    let live = try #require(sim.machines[node].core).cib
    let v = try CIBVersion(of: live)
    var edited = live
    let ci = try #require(edited.childIndex(named: "configuration"))
    guard case .element(var conf) = edited.children[ci], let k = conf.childIndex(named: "constraints"),
      case .element(var constraints) = conf.children[k]
    else { throw CIBError.patchDoesNotApply(path: "/", reason: "no constraints") }
    constraints.append(CIBElement("rsc_location", ["id": constraint, "rsc": "grp", "node": "node3", "score": "50"]))
    conf.children[k] = .element(constraints)
    edited.children[ci] = .element(conf)
    let id = sim.control(node, .replaceCIB(xml: CIBXML.serialize(edited), baseAdminEpoch: v.adminEpoch, baseEpoch: v.epoch))
    for _ in 0..<3_000 where sim.replies[id] == nil { sim.run(forMs: 1) }
    return sim.replies[id]
  }

  func dc(_ sim: NodeSimulation) -> Int? { sim.machines.firstIndex { $0.core?.controller.isDC == true } }

  func allAgree(_ sim: NodeSimulation, _ nodes: [Int]) -> Bool {
    let cibs = nodes.map { sim.machines[$0].core?.cib }
    return cibs.allSatisfy { $0 != nil && $0 == cibs[0] }
  }

  static func isDiff(_ m: ClusterMessage) -> Bool { if case .cibDiff = m { true } else { false } }
  static func isWhole(_ m: ClusterMessage) -> Bool { if case .cib(_, false, _, _) = m { true } else { false } }
  static func isWanted(_ m: ClusterMessage) -> Bool { if case .cibWanted = m { true } else { false } }

  @Test func aWriteTravelsAsADiffAndEveryMemberAppliesIt() throws {
    var sim = try booted()
    let dcIndex = try #require(dc(sim))
    let mark = sim.sent.count
    let reply = try write(&sim, through: (dcIndex + 1) % 3, constraint: "d1")
    #expect(reply?.error == nil, "\(reply?.error ?? "no answer")")
    let replication = sim.sent[mark...].filter { $0.node == dcIndex }.map(\.message)
    #expect(replication.contains(where: Self.isDiff))
    #expect(!sim.sent[mark...].contains { Self.isWanted($0.message) })
    sim.run(forMs: 500)
    #expect(allAgree(sim, [0, 1, 2]))
    #expect(sim.machines.allSatisfy { $0.disk == $0.core?.cib }, "persisted what it applied")
  }

  @Test func aMemberThatMissedADiffGetsTheWholeCIB() throws {
    var sim = try booted()
    let dcIndex = try #require(dc(sim))
    let victim = (dcIndex + 2) % 3
    var dropped = 0
    sim.dropDelivery = { to, m in
      guard to == victim, dropped == 0, Self.isDiff(m) else { return false }
      dropped += 1
      return true
    }
    let mark = sim.sent.count
    #expect(try write(&sim, through: dcIndex, constraint: "d1")?.error == nil)
    // The victim's copy is now behind: the next diff does not fit it.
    #expect(try write(&sim, through: dcIndex, constraint: "d2")?.error == nil)
    sim.run(forMs: 500)
    #expect(dropped == 1)
    #expect(sim.sent[mark...].contains { $0.node == victim && Self.isWanted($0.message) }, "asked for the whole CIB")
    #expect(sim.sent[mark...].contains { $0.node == dcIndex && Self.isWhole($0.message) }, "the DC sent it whole")
    #expect(allAgree(sim, [0, 1, 2]))
    #expect(sim.machines[victim].disk == sim.machines[dcIndex].core?.cib)
  }

  @Test func theFirstReplicationOfAViewIsWholeAndDiffsFollow() throws {
    var sim = try booted()
    #expect(try write(&sim, through: 0, constraint: "d1")?.error == nil)
    let mark = sim.sent.count
    sim.crash(2, killAgents: true)
    sim.installView([0, 1])
    sim.run(forMs: 3_000)
    let dcIndex = try #require(dc(sim))
    #expect(try write(&sim, through: 1, constraint: "d2")?.error == nil)
    #expect(try write(&sim, through: 1, constraint: "d3")?.error == nil)
    let replication = sim.sent[mark...].filter { $0.node == dcIndex && (Self.isDiff($0.message) || Self.isWhole($0.message)) }
    #expect(replication.first.map { Self.isWhole($0.message) } == true, "no diff against a base of the old view")
    #expect(replication.dropFirst().contains { Self.isDiff($0.message) })
    // The crashed node rejoins with its old copy: the join syncs it whole, and later diffs apply to it.
    sim.start(2)
    sim.installView([0, 1, 2])
    sim.run(forMs: 3_000)
    let mark2 = sim.sent.count
    #expect(try write(&sim, through: 2, constraint: "d4")?.error == nil)
    sim.run(forMs: 500)
    #expect(!sim.sent[mark2...].contains { Self.isWanted($0.message) })
    #expect(allAgree(sim, [0, 1, 2]))
  }

  /// Bytes per write on the wire (encoded ClusterMessage) for a 200-resource CIB: whole vs diff.
  @Test func aDiffOfOneResourceIsSmallInABigCIB() throws {
    var cib = try simulationCIB()
    let ci = try #require(cib.childIndex(named: "configuration"))
    guard case .element(var conf) = cib.children[ci], let r = conf.childIndex(named: "resources"),
      case .element(var resources) = conf.children[r]
    else { return #expect(Bool(false), "no resources") }
    func dummy(_ n: Int) -> CIBElement {
      var p = CIBElement("primitive", ["id": "D\(n)", "class": "ocf", "provider": "heartbeat", "type": "Dummy"])
      p.append(CIBElement("operations", [:], children: [CIBElement("op", ["id": "D\(n)-monitor-interval-10s", "name": "monitor", "interval": "10s", "timeout": "20s"])]))
      return p
    }
    for n in 0..<200 { resources.append(dummy(n)) }
    conf.children[r] = .element(resources)
    cib.children[ci] = .element(conf)
    var next = cib
    guard case .element(var conf2) = next.children[ci], case .element(var res2) = conf2.children[r] else { return }
    res2.append(dummy(200))
    conf2.children[r] = .element(res2)
    next.children[ci] = .element(conf2)
    next[attribute: "epoch"] = "2"
    let whole = WireFraming.encode(.cib(xml: CIBXML.serialize(next), sync: false, viewEpoch: 1, term: 1)).count
    let wire = WireCIBDiff(CIBDiff(from: cib, to: next), source: try CIBVersion(of: cib), target: try CIBVersion(of: next))
    let diff = WireFraming.encode(.cibDiff(diff: wire, baseTerm: 1, term: 1)).count
    let applied = try wire.diff().apply(to: cib)
    #expect(applied == next)
    #expect(diff * 20 < whole, "diff \(diff) bytes, whole \(whole) bytes")
    print("replication_bytes_per_write resources=200 whole_cib_bytes=\(whole) diff_bytes=\(diff)")
  }
}
