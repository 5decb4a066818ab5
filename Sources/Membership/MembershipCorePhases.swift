extension MembershipCore {
  /// Where a node is in its life: it starts (a singleton view, the first tick) at its first input and stops for
  /// good when it leaves.
  enum Lifecycle: Sendable { case notStarted, running, left }

  /// Where a node is in agreeing on the next view.
  enum Agreement: Sendable {
    /// Delivering in the installed view; no proposal accepted since it was installed.
    case settled
    /// Accepted a proposal in the current view: from then on the node reports no more progress than `received`
    /// had at that moment (the flush relies on it), and as coordinator it orders no more messages. `proposal` is
    /// the node's own proposal while it collects acknowledgements (a node accepts its own proposal first).
    case frozen(received: UInt64, proposal: ProposalState?)
  }
}
