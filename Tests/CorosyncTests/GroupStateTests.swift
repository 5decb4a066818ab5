import Membership
import Testing

@testable import MembershipCorosync

/// The pure part of the corosync backend, fed with the callback streams corosync produces (no daemon needed).
struct GroupStateTests {
  let a = CPGAddress(nodeID: 1, pid: 100)
  let b = CPGAddress(nodeID: 2, pid: 200)
  let c = CPGAddress(nodeID: 3, pid: 300)

  @Test func aJoinerAndAnOldMemberAgreeOnViewIDsAndDeliveryNumbers() {
    // Old member: it was alone in ring 0x10, then b joined the group, then messages.
    var old = CPGGroupState(me: a)
    old.totemChanged(ringSequence: 0x10, representative: 1)
    #expect(old.groupChanged(members: [a], left: [], joined: [a]).count == 1)
    let oldEvents = old.groupChanged(members: [b, a], left: [], joined: [b])
    // Joiner: its initial totem configuration, then its own join.
    var joiner = CPGGroupState(me: b)
    joiner.totemChanged(ringSequence: 0x10, representative: 1)
    let joinerEvents = joiner.groupChanged(members: [a, b], left: [], joined: [b])
    guard case .viewInstalled(let v1) = oldEvents.first, case .viewInstalled(let v2) = joinerEvents.first else {
      Issue.record("expected views, got \(oldEvents) and \(joinerEvents)")
      return
    }
    #expect(v1 == v2)
    #expect(v1.nodeIDs == [NodeID(1), NodeID(2)])
    #expect(v1.id.ringIDText == "1.10")
    var seen: [[String]] = [[], []]
    for (k, sender) in [a, b, b, a].enumerated() {
      for (i, _) in [0, 1].enumerated() {
        var s = i == 0 ? old : joiner
        guard case .delivered(let d) = s.delivered(from: sender, payload: [UInt8(k)]) else {
          Issue.record("no delivery")
          return
        }
        if i == 0 { old = s } else { joiner = s }
        seen[i].append("\(d.view) \(d.sequence) \(d.sender) \(d.senderSequence) \(d.payload)")
      }
    }
    #expect(seen[0] == seen[1])
    #expect(seen[0].last?.contains(" 4 1/100 2 [3]") == true)
  }

  @Test func groupChangesBeforeOurJoinAreIgnoredAndOurLeaveReportsLeft() {
    var s = CPGGroupState(me: c)
    s.totemChanged(ringSequence: 5, representative: 2)
    #expect(s.groupChanged(members: [a, b], left: [], joined: [b]).isEmpty)
    #expect(s.delivered(from: a, payload: [1]) == nil)
    let joined = s.groupChanged(members: [a, b, c], left: [], joined: [c])
    #expect(joined.count == 1)
    let left = s.groupChanged(members: [a, b], left: [c], joined: [])
    guard case .left = left.first else {
      Issue.record("expected .left, got \(left)")
      return
    }
    #expect(s.view == nil)
  }

  @Test func aBatchMessageDeliversEachBroadcastInOrderWithConsecutiveNumbers() {
    var s = CPGGroupState(me: a)
    s.totemChanged(ringSequence: 7, representative: 1)
    _ = s.groupChanged(members: [a, b], left: [], joined: [a])
    let payloads: [[UInt8]] = [[1, 2, 3], [], [9], Array(repeating: 0xff, count: 300)]
    let message = CPGBatch.encode(payloads[...])
    #expect(message.count == CPGBatch.size(payloadBytes: 304, count: 4))
    #expect(CPGBatch.decode(message) == payloads)
    let events = s.deliveredMessage(from: b, message: message) + s.deliveredMessage(from: a, message: CPGBatch.encode([[4]]))
    let got = events.compactMap { e -> String? in
      guard case .delivered(let d) = e else { return nil }
      return "\(d.sequence) \(d.sender) \(d.senderSequence) \(d.payload.count)"
    }
    #expect(got == ["1 2/200 1 3", "2 2/200 2 0", "3 2/200 3 1", "4 2/200 4 300", "5 1/100 1 1"])
  }

  @Test func aMessageThatIsNotABatchDeliversNothing() {
    var s = CPGGroupState(me: a)
    _ = s.groupChanged(members: [a], left: [], joined: [a])
    let good = CPGBatch.encode([[1, 2], [3]])
    for bad in [[], [1, 2, 3, 4, 5], Array(good.dropLast()), Array(CPGBatch.magic), CPGBatch.magic + [5, 0, 0]] as [[UInt8]] {
      #expect(CPGBatch.decode(bad) == nil, "\(bad)")
      #expect(s.deliveredMessage(from: a, message: bad).isEmpty)
    }
    // Nothing was counted: the next good message starts at sequence 1.
    guard case .delivered(let d) = s.deliveredMessage(from: a, message: good).first else {
      Issue.record("no delivery")
      return
    }
    #expect(d.sequence == 1)
  }

  @Test func batchLimitIsValidated() {
    #expect(throws: CorosyncError.self) { try CorosyncBackendOptions(batchBroadcastsMax: 0).validate() }
    #expect(throws: Never.self) { try CorosyncBackendOptions(batchBroadcastsMax: 1).validate() }
  }

  @Test func twoGroupChangesInOneRingGetDifferentViewIDs() {
    var s = CPGGroupState(me: a)
    s.totemChanged(ringSequence: 7, representative: 1)
    let first = s.groupChanged(members: [a, b], left: [], joined: [a])
    let second = s.groupChanged(members: [a], left: [b], joined: [])
    let third = s.groupChanged(members: [a, CPGAddress(nodeID: 2, pid: 201)], left: [], joined: [])
    var ids: [ViewID] = []
    for e in first + second + third { if case .viewInstalled(let v) = e { ids.append(v.id) } }
    #expect(ids.count == 3)
    #expect(Set(ids).count == 3)
    #expect(ids.allSatisfy { $0.epoch == 7 })
  }

  /// The controller matches a quorum notice to a view by id; votequorum speaks of rings, and group views within one
  /// ring differ (a clusterd restarted while corosync stayed up). Without the naming, no view ever had a quorum
  /// notice and the join never finished on the corosync backend.
  @Test func aQuorumNoticeNamesTheGroupViewOfItsRingAndALossAlwaysNamesTheCurrentView() {
    let local = VotequorumNodeInfo(
      nodeID: 1, votes: 1, expectedVotes: 3, highestExpected: 3, totalVotes: 3, quorum: 2,
      flags: VotequorumNodeInfo.quorateFlag)
    let quorate = QuorumStatus.fromCorosync(
      ringSequence: 7, ringRepresentative: 1, members: [1, 2, 3], local: local, votes: [:])
    var s = CPGGroupState(me: a)
    #expect(s.quorumNotice(quorate) == quorate, "no view yet: the notice is left as it is")
    s.totemChanged(ringSequence: 7, representative: 1)
    _ = s.groupChanged(members: [a, b], left: [], joined: [a])
    let firstView = s.view!.id
    #expect(s.quorumNotice(quorate).ringID == firstView)
    _ = s.groupChanged(members: [a], left: [b], joined: [])
    #expect(s.view!.id != firstView)
    #expect(s.quorumNotice(quorate).ringID == s.view!.id, "a later view of the same ring has the same quorum")
    let newerRing = QuorumStatus.fromCorosync(
      ringSequence: 9, ringRepresentative: 1, members: [1, 2, 3], local: local, votes: [:])
    #expect(s.quorumNotice(newerRing).ringID == newerRing.ringID, "a quorate notice of another ring waits for its view")
    let lost = QuorumStatus.fromCorosync(
      ringSequence: 9, ringRepresentative: 1, members: [1],
      local: VotequorumNodeInfo(nodeID: 1, votes: 1, expectedVotes: 3, highestExpected: 3, totalVotes: 1, quorum: 2,
                                flags: 0), votes: [:])
    #expect(s.quorumNotice(lost).ringID == s.view!.id, "a loss of quorum is never stale")
  }

  @Test func quorumStatusCarriesWhatTheRenderersNeed() {
    let local = VotequorumNodeInfo(
      nodeID: 2, votes: 1, expectedVotes: 3, highestExpected: 3, totalVotes: 2, quorum: 2,
      flags: VotequorumNodeInfo.quorateFlag | VotequorumNodeInfo.waitForAllFlag)
    let s = QuorumStatus.fromCorosync(
      ringSequence: 0xc9, ringRepresentative: 1, members: [2, 1], local: local, votes: [1: 1, 2: 1])
    #expect(s.quorate && s.waitForAll && !s.twoNode && !s.lastManStanding && !s.autoTieBreaker)
    #expect(s.ringID?.ringIDText == "1.c9")
    #expect(s.members.map(\.nodeID) == [NodeID(1), NodeID(2)])
    let text = QuorumStatusText.quorumtool(
      s, nodes: [NodeEntry(nodeID: NodeID(1), name: "n1", ring0Addr: "10.0.0.1"), NodeEntry(nodeID: NodeID(2), name: "n2", ring0Addr: "10.0.0.2")],
      date: "Sun Nov 22 02:00:00 2026")
    #expect(text.contains("Ring ID:          1.c9\n"))
    #expect(text.contains("Flags:            Quorate WaitForAll \n"))
    #expect(text.contains("         2          1 n2 (local)\n"))
  }

  @Test func badOptionsAreRejectedWithTheirName() {
    #expect(throws: CorosyncError.badGroupName(String(repeating: "g", count: 128))) {
      try CorosyncBackendOptions(groupName: String(repeating: "g", count: 128)).validate()
    }
    #expect(throws: CorosyncError.badGroupName("")) { try CorosyncBackendOptions(groupName: "").validate() }
    #expect(throws: CorosyncError.self) { try CorosyncBackendOptions(messageBytesMax: 0).validate() }
    #expect(throws: CorosyncError.self) { try CorosyncBackendOptions(sendQueueMax: 0).validate() }
    try? CorosyncBackendOptions().validate()
    #expect((try? CorosyncBackendOptions().validate()) != nil)
  }

  @Test func errorsNameTheCallAndCorosyncsAnswer() {
    #expect(
      CorosyncError.call("cpg_model_initialize", .library).description
        == "cpg_model_initialize failed: CS_ERR_LIBRARY (is corosync running on this node?)")
    #expect(CSError(rawValue: 6).name == "CS_ERR_TRY_AGAIN")
    #expect(CSError(rawValue: 999).name == "cs_error_t(999)")
    #expect(
      CorosyncError.retriesExhausted("cpg_join", retries: 60).description
        == "cpg_join still returned CS_ERR_TRY_AGAIN after 60 retries")
  }

  @Test func corosyncConfSelectsTheBackend() throws {
    let base = "totem {\n  cluster_name: c\n}\nnodelist {\n  node {\n    ring0_addr: 10.0.0.1\n    nodeid: 1\n  }\n}\n"
    #expect(try MembershipBackendChoice(config: CorosyncConfig.parse(base)) == .native)
    let chosen = try CorosyncConfig.parse(base + "vigil {\n  membership: corosync\n}\n")
    #expect(try MembershipBackendChoice(config: chosen) == .corosync)
    let bad = try CorosyncConfig.parse(base + "vigil {\n  membership: totem\n}\n")
    #expect(throws: CorosyncError.self) { try MembershipBackendChoice(config: bad) }
    do {
      _ = try MembershipBackendChoice(config: bad)
    } catch {
      #expect("\(error)".contains("line 11"))
      #expect("\(error)".contains("'totem'"))
    }
  }
}
