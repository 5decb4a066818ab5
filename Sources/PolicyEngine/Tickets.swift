import CIB

/// What happens to a resource when a ticket it needs is revoked (`loss-policy` of an `rsc_ticket`).
enum TicketLossPolicy: Equatable {
  case stop, demote, fence, freeze
}

extension SchedulerInput {
  /// A ticket counts only when it is granted and not in standby; an unknown ticket is not granted.
  func ticketUsable(_ ticket: String) -> Bool {
    (tickets[ticket] ?? false) && !standbyTickets.contains(ticket)
  }
}

/// Ticket constraints (Pacemaker's pcmk_sched_tickets.c): a resource needing a revoked (or standby) ticket is
/// banned from every node, or, by loss-policy, only demoted, or its nodes are fenced, or it is frozen where it is.
/// Applied once the status is known, because what to do depends on where the resource is active.
extension StatusInterpreter {
  mutating func applyTicketConstraints() {
    for t in input.ticketConstraints {
      guard !input.ticketUsable(t.ticket), let r = ticketResource(t.resource) else { continue }
      let role = ticketRole(t.role)
      let policy = lossPolicy(t.lossPolicy, role: role)
      applyTicketLoss(r, role: role, policy: policy, granted: input.tickets[t.ticket] ?? false)
    }
  }

  /// The resource a ticket constraint names: an anonymous clone's template id means the whole clone.
  func ticketResource(_ id: String) -> Int? {
    guard let r = resourceByID[id] else { return nil }
    if resources[r].id != id, let p = resources[r].parent {
      var c: Int? = p
      while let x = c, resources[x].variant != .clone { c = resources[x].parent }
      return c ?? r
    }
    return r
  }

  /// rsc-role: Started (or none) means any role.
  func ticketRole(_ text: String?) -> Role {
    guard let text, let role = Role(parsing: text), role != .started else { return .unknown }
    return role
  }

  func lossPolicy(_ text: String?, role: Role) -> TicketLossPolicy {
    switch text?.lowercased() {
    case "fence": return options.stonithEnabled ? .fence : .stop
    case "freeze": return .freeze
    case "demote": return .demote
    case "stop": return .stop
    default: return role == .promoted ? .demote : .stop
    }
  }

  mutating func banEverywhere(_ r: Int) {
    resources[r].historyLocations.append(HistoryLocation(node: nil, score: ScoreMath.minusInfinity, onParent: false))
  }

  mutating func applyTicketLoss(_ r: Int, role: Role, policy: TicketLossPolicy, granted: Bool) {
    if !resources[r].isPrimitive {
      for c in resources[r].children { applyTicketLoss(c, role: role, policy: policy, granted: granted) }
      return
    }
    let roleMatches = role == .unknown || role == resources[r].role
    let active = !resources[r].runningOn.isEmpty
    if !granted && active {
      switch policy {
      case .stop:
        banEverywhere(r)
      case .demote:
        // Only the promoted role is lost; the promotion itself is refused when roles are chosen.
        if role != .promoted { banEverywhere(r) }
      case .fence:
        guard roleMatches else { return }
        banEverywhere(r)
        for n in resources[r].runningOn { fence(n, "deadman ticket was lost") }
      case .freeze:
        guard roleMatches else { return }
        resources[r].managed = false
        resources[r].blocked = true
      }
    } else if role != .promoted || policy == .stop {
      banEverywhere(r)
    }
  }
}

extension Assigner {
  /// Does promotable clone `r` need, for its promoted role, a ticket that is revoked or in standby
  /// (pcmk__require_promotion_tickets)?
  func lacksPromotionTicket(_ r: Int) -> Bool {
    let ids = Set([state.resources[r].id] + state.resources[r].children.map { state.resources[$0].baseID })
    for t in state.input.ticketConstraints where ids.contains(t.resource) && !state.input.ticketUsable(t.ticket) {
      if let role = t.role.flatMap({ Role(parsing: $0) }), role == .promoted { return true }
    }
    return false
  }
}
