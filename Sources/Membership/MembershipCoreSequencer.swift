/// The coordinator's side of the ordered broadcast (the view's sequencer): it orders the members' messages, tracks
/// what each member received, announces the stable point and retransmits what a member lacks.
extension MembershipCore {
  mutating func onData(_ from: Member, _ d: DataBatch, _ fx: inout [MembershipEffect]) {
    noteInstalled(from, view: d.view)
    guard var c = coordinator, d.view == view.id, !frozen, view.contains(from) else { return }
    coordinator = nil  // edit a unique copy: the log must not be copied on every append
    var expected = c.expectedSender[from.id] ?? 1
    var fresh: [OrderedEntry] = []
    // Members that had everything start their "no progress" clock now.
    for m in view.members where (c.memberReceived[m.id] ?? 0) >= c.nextSequence - 1 { c.lastProgress[m.id] = now }
    for (i, payload) in d.payloads.enumerated() {
      let seq = d.firstSequence + UInt64(i)
      if seq < expected { continue }
      if seq > expected { break }  // a gap: the sender retransmits from its oldest unordered message
      if c.log.count >= config.limits.coordinatorLogMax { break }
      let entry = OrderedEntry(sequence: c.nextSequence, sender: from.id, senderSequence: seq, payload: payload)
      c.nextSequence += 1
      if from.id == me.id { ownOrderedUpTo = entry.sequence }
      c.log.append(entry)
      fresh.append(entry)
      expected += 1
    }
    c.expectedSender[from.id] = expected
    coordinator = c
    guard !fresh.isEmpty else { return }
    broadcastOrdered(fresh, to: view.nodeIDs.filter { $0 != me.id }, &fx)
    onOrdered(OrderedBatch(view: view.id, stable: c.stable, entries: fresh), &fx)
  }

  mutating func broadcastOrdered(_ entries: [OrderedEntry], to targets: [NodeID], _ fx: inout [MembershipEffect]) {
    guard !targets.isEmpty, let c = coordinator else { return }
    var i = 0
    while i < entries.count {
      var bytes = 0
      var chunk: [OrderedEntry] = []
      while i < entries.count && (chunk.isEmpty || bytes + entries[i].payload.count <= config.limits.packetPayloadBytesMax) {
        bytes += entries[i].payload.count + 24
        chunk.append(entries[i])
        i += 1
      }
      fx.append(.send(Packet(from: me, message: .ordered(OrderedBatch(view: view.id, stable: c.stable, entries: chunk))), to: targets))
    }
  }

  mutating func noteMemberReceived(_ id: NodeID, _ r: UInt64, _ fx: inout [MembershipEffect]) {
    guard var c = coordinator else { return }
    coordinator = nil  // edit a unique copy (see onData)
    if r > c.memberReceived[id] ?? 0 {
      c.memberReceived[id] = r
      c.lastProgress[id] = now
    }
    var stable = c.nextSequence - 1
    for m in view.members { stable = min(stable, m.id == me.id ? received : c.memberReceived[m.id] ?? 0) }
    guard stable > c.stable else {
      coordinator = c
      return
    }
    c.stable = stable
    // Everyone has the messages up to `stable`: the log no longer needs them.
    let drop = Int(stable + 1 - c.logBase)
    if drop > 0 && (drop >= 1024 || drop * 2 >= c.log.count) {
      c.log.removeFirst(min(drop, c.log.count))
      c.logBase += UInt64(drop)
    }
    coordinator = c
    let others = view.nodeIDs.filter { $0 != me.id }
    if !others.isEmpty {
      fx.append(.send(Packet(from: me, message: .ordered(OrderedBatch(view: view.id, stable: stable, entries: []))), to: others))
    }
    stableKnown = max(stableKnown, stable)
    deliver(upTo: min(received, stableKnown), &fx)
    if unordered.isEmpty { pumpSendQueue(&fx) }
  }

  mutating func onOrderedAck(_ from: Member, _ a: OrderedAck, _ fx: inout [MembershipEffect]) {
    guard coordinator != nil, a.view == view.id, view.contains(from) else { return }
    noteInstalled(from, view: a.view)
    noteMemberReceived(from.id, a.received, &fx)
    if a.gap { retransmit(to: from.id, after: a.received, minInterval: config.timing.dataRetransmit / 2, &fx) }
  }

  mutating func coordinatorRetransmit(_ fx: inout [MembershipEffect]) {
    guard let c = coordinator else { return }
    for m in view.members where m.id != me.id {
      let r = c.memberReceived[m.id] ?? 0
      let stuckSince = c.lastProgress[m.id] ?? .zero
      if r < c.nextSequence - 1 && now - stuckSince >= config.timing.dataRetransmit {
        retransmit(to: m.id, after: r, minInterval: config.timing.dataRetransmit, &fx)
      }
    }
  }

  mutating func retransmit(to id: NodeID, after r: UInt64, minInterval: Duration, _ fx: inout [MembershipEffect]) {
    guard coordinator != nil else { return }
    if let last = coordinator!.lastRetransmit[id], now - last < minInterval { return }
    coordinator!.lastRetransmit[id] = now
    let c = coordinator!
    let from = max(r + 1, c.logBase)
    guard from < c.nextSequence else {
      // The member has every ordered message: what it may lack is the stable point (`askForStablePoint`).
      if c.stable > 0 {
        fx.append(.send(Packet(from: me, message: .ordered(OrderedBatch(view: view.id, stable: c.stable, entries: []))), to: [id]))
      }
      return
    }
    let startIndex = Int(from - c.logBase)
    let endIndex = min(c.log.count, startIndex + 2048)
    guard startIndex < endIndex else { return }
    broadcastOrdered(Array(c.log[startIndex..<endIndex]), to: [id], &fx)
  }
}
