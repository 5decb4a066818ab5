import ControlProtocol
import Foundation
import Membership
import Testing

/// The control protocol carries Membership's `QuorumStatus` itself: what clusterd sends is what pcs decodes.
@Test func quorumResponseRoundTripsThroughAControlFrame() throws {
  let status = QuorumStatus(
    ringID: ViewID(epoch: 0xc5, coordinator: NodeID(2), coordinatorIncarnation: 7), localNode: NodeID(1), quorate: true,
    expectedVotes: 3, highestExpected: 3, totalVotes: 2, quorum: 2,
    members: [.init(nodeID: NodeID(1), votes: 1), .init(nodeID: NodeID(2), votes: 1)],
    twoNode: false, waitForAll: true, lastManStanding: false, autoTieBreaker: true)
  let sent = ControlResponse(quorum: LiveQuorumInfo(status: status, quorumtoolText: "Q\n", membershipText: "M\n"))
  let frame = try ControlFrame.encode(sent)
  let body = Array(frame.dropFirst(4))
  #expect(ControlFrame.length(of: Array(frame.prefix(4))) == body.count)
  let json = String(decoding: body, as: UTF8.self)
  // Node ids travel as plain numbers.
  #expect(json.contains("\"localNode\":1"))
  #expect(json.contains("\"members\":[{\"nodeID\":1,\"votes\":1},{\"nodeID\":2,\"votes\":1}]"))
  #expect(try ControlFrame.decode(ControlResponse.self, body) == sent)
}

@Test func quorumStatusWithoutARingDecodes() throws {
  var status = QuorumStatus(
    ringID: nil, localNode: NodeID(3), quorate: false, expectedVotes: 2, highestExpected: 2, totalVotes: 1, quorum: 2,
    members: [.init(nodeID: NodeID(3), votes: 1)], twoNode: true, waitForAll: true, lastManStanding: false,
    autoTieBreaker: false)
  let body = Array(try ControlFrame.encode(status).dropFirst(4))
  #expect(try ControlFrame.decode(QuorumStatus.self, body) == status)
  status.ringID = ViewID(epoch: 1, coordinator: NodeID(3), coordinatorIncarnation: 0)
  #expect(try ControlFrame.decode(QuorumStatus.self, body) != status)
}
