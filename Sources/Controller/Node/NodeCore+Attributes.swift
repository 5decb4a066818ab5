import CIB
import ControlProtocol
import PolicyEngine

/// Node attributes: attrd_updater's updates go through this node's `AttributeManager` (dampened), crm_attribute's
/// and pcs's straight to the DC as writes; the DC applies them to its CIB (`NodeAttributes`) and replans.
///
/// A dampened value the manager writes has no client waiting: it goes through the same write path (it waits out
/// membership changes, is sent again to the next DC) under an id of its own, and its answer is only logged.
extension NodeCore {
  /// Ids of the manager's own writes: above anything the shell hands out for its clients.
  static let internalWriteIDBase: ControlRequestID = 1 << 62

  static func isInternalWrite(_ id: ControlRequestID) -> Bool { id >= internalWriteIDBase }

  static func section(_ scope: AttributeScope) -> AttributeSection {
    switch scope {
    case .status: .status
    case .nodes: .nodes
    case .crmConfig: .crmConfig
    }
  }

  /// A local tool's attribute update: dampened through the manager (attrd_updater), or a write to the DC.
  mutating func attributeUpdateRequested(_ id: ControlRequestID, _ request: AttributeUpdate) {
    var update = request
    if update.scope != .crmConfig && update.node == nil { update.node = config.localNode.name }
    if let node = update.node, !config.nodes.contains(where: { $0.name == node }) {
      return out.append(.reply(id, .failure("Could not map name=\(node) to a UUID")))
    }
    guard update.managed else {
      return submitWrite(id, .updateAttribute(update), deadlineMs: now.monotonicMs + config.requestTimeoutMs, resent: false)
    }
    guard update.scope == .status, update.node != nil else {
      return out.append(.reply(id, .failure("the attribute manager holds transient node attributes only")))
    }
    let cibValue = try? NodeAttributes.value(update.name, section: .status, node: update.node, in: controller.cib)
    switch attributes.update(update, cibValue: cibValue ?? nil, nowMs: now.monotonicMs) {
    case .write(let w):
      out.append(.reply(id, ControlResponse()))
      submitAttributeWrite(w)
    case .held, .unchanged:
      out.append(.reply(id, ControlResponse()))
    case .refused(let why):
      out.append(.reply(id, .failure(why)))
    }
  }

  /// attrd_updater -Q: the manager's value where it holds one, else the CIB's; `node` nil: this node, unless `all`.
  mutating func attributeQueried(_ id: ControlRequestID, name: String, node requested: String?, all: Bool) {
    let node = all ? nil : requested ?? config.localNode.name
    if let node, !config.nodes.contains(where: { $0.name == node }) {
      return out.append(.reply(id, .failure("Could not map name=\(node) to a UUID")))
    }
    var values: [String: String?] = [:]
    for (n, v) in NodeAttributes.transientValues(name, in: controller.cib) { values[n] = v }
    for (n, v) in attributes.values(name: name) { values[n] = v }
    let shown = values.keys.sorted().filter { node == nil || $0 == node }.compactMap { n in
      values[n]!.map { AttributeValue(node: n, name: name, value: $0) }
    }
    var response = ControlResponse()
    response.attributes = shown
    out.append(.reply(id, response))
  }

  /// The manager's writes whose dampening ran out.
  mutating func flushDueAttributes() {
    guard let next = attributes.nextDueMs, next <= now.monotonicMs else { return }
    for w in attributes.due(nowMs: now.monotonicMs) { submitAttributeWrite(w) }
  }

  mutating func submitAttributeWrite(_ update: AttributeUpdate) {
    let id = nextInternalWriteID
    nextInternalWriteID += 1
    log(.info, "attribute \(update.name)=\(update.value ?? "(deleted)") for \(update.node ?? "the cluster") sent to the DC")
    submitWrite(id, .updateAttribute(update), deadlineMs: now.monotonicMs + config.requestTimeoutMs, resent: false)
  }

  /// On the DC: applies an attribute write to its CIB (the controller replans on the change).
  mutating func applyAttribute(origin: UInt32, id: ControlRequestID, update: AttributeUpdate) {
    var failure: String?
    do {
      let next = try NodeAttributes.set(
        update.name, value: update.value, section: Self.section(update.scope), node: update.node, setID: update.setID,
        in: controller.cib)
      if next != controller.cib { feed(.cibReplaced(next, at: now)) }
    } catch {
      failure = error.description
    }
    let before = version
    broadcastCIBIfNewer()
    answerWhenStored(origin: origin, id: id, error: failure, changed: version != before)
  }

  /// Answers to the manager's own writes have no client: failures are logged, the rest dropped.
  mutating func settleInternalReplies() {
    guard out.contains(where: { if case .reply(let id, _) = $0 { Self.isInternalWrite(id) } else { false } }) else { return }
    var kept: [NodeEffect] = []
    for effect in out {
      guard case .reply(let id, let response) = effect, Self.isInternalWrite(id) else {
        kept.append(effect)
        continue
      }
      if let e = response.error { kept.append(.log(.warning, "a node attribute write failed: \(e)")) }
    }
    out = kept
  }
}
