import Arbiter

/// How a node talks to its arbiter: who it is, how often it polls and how long a new view waits for the answer.
public struct QuorumDeviceSettings: Equatable, Sendable {
  public var cluster: String
  public var node: NodeID
  public var incarnation: UInt64
  public var algorithm: ArbiterAlgorithm
  public var tieBreaker: ArbiterTieBreaker
  /// Between two requests (each renews a granted vote): T/4 for the membership token T.
  public var pollInterval: Duration
  /// How long a new view that is not quorate without the device waits for the arbiter's answer before this node
  /// reports it without quorum (corosync-qdevice's sync_timeout, in Vigil's scale): T. The lease and the watchdog
  /// bound grow by this much (`QuorumDeviceSettings.decisionMs`), since a node on the losing side may keep its
  /// previous quorum that long.
  public var decisionTimeout: Duration
  /// Requests whose reply is still awaited; older ones are forgotten (their late replies are ignored).
  public var outstandingMax: Int
  /// The commands whose result goes with each request; nil: heuristics off (requests say `undefined`).
  public var heuristics: QuorumDeviceHeuristics?

  public init(
    cluster: String, node: NodeID, incarnation: UInt64, algorithm: ArbiterAlgorithm, tieBreaker: ArbiterTieBreaker,
    tokenMs: Int, heuristics: QuorumDeviceHeuristics? = nil, outstandingMax: Int = 16
  ) {
    precondition(tokenMs >= 40 && outstandingMax > 0)
    self.cluster = cluster
    self.node = node
    self.incarnation = incarnation
    self.algorithm = algorithm
    self.tieBreaker = tieBreaker
    self.pollInterval = .milliseconds(tokenMs / 4)
    self.decisionTimeout = .milliseconds(Self.decisionMs(tokenMs: tokenMs, heuristics: heuristics))
    self.outstandingMax = outstandingMax
    self.heuristics = heuristics
  }

  /// The extra time a quorum device adds to the lease and to the watchdog bound, for token T: T, plus the
  /// heuristics' sync_timeout when they run (a new view's first request waits for their result).
  public static func decisionMs(tokenMs: Int, heuristics: QuorumDeviceHeuristics?) -> Int {
    tokenMs + Int((heuristics?.syncTimeout ?? .zero) / .milliseconds(1))
  }
}

public enum QuorumDeviceInput: Sendable, Equatable {
  case viewInstalled(View, now: Duration)
  /// The membership core computed this quorum state (it passes through here before anyone else sees it).
  case quorumComputed(QuorumStatus, now: Duration)
  case replied(VoteReply, now: Duration)
  case tick(now: Duration)
  /// Whether this node runs resources (the side running them keeps them on an even split).
  case runsResourcesChanged(Bool)
  /// Heuristics run `run` ended: every command exited 0 in time (`passed`), or not.
  case heuristicsFinished(run: UInt64, passed: Bool, now: Duration)
}

public enum QuorumDeviceEffect: Sendable, Equatable {
  /// Send to the arbiter (dropped by the shell while it has no connection: the next poll retries).
  case send(VoteRequest)
  /// Feed the membership core `.quorumDeviceVoted`.
  case castVote(Bool, view: ViewID)
  /// Report this quorum state to the membership's owner.
  case report(QuorumStatus)
  /// Run these commands in parallel, each killed at `timeout`, and feed back `.heuristicsFinished(run:...)`.
  case runHeuristics(run: UInt64, commands: [[String]], timeout: Duration)
}

/// The node side of the quorum device (corosync-qdevice's role), as a value: it asks the arbiter for the vote on
/// every new view and every poll period, casts the device's votes into votequorum while a grant for the current
/// view is unexpired (counted from when the granted request was sent, so never longer than the arbiter counts it),
/// and withholds a new view's "no quorum" from the owner until the arbiter answered or `decisionTimeout` passed,
/// so the side that will get the vote does not stop its resources in between. With heuristics, every new view
/// runs them first and its first request carries that run's result (corosync-qdevice's membership heuristics);
/// in mode `on` they also run every interval, and a changed result is sent at once.
public struct QuorumDeviceClient: Sendable {
  public let settings: QuorumDeviceSettings

  enum Phase: Sendable {
    case starting
    /// A new view waits for the arbiter; `held` is its latest quorum state without quorum, not yet reported;
    /// `heuristicsRun` is the run its first request waits for (nil: none, or it ended).
    case awaiting(View, deadline: Duration, held: QuorumStatus?, heuristicsRun: UInt64?)
    case decided(View)
  }
  private var phase = Phase.starting
  /// The current view's vote is cast until then.
  public private(set) var voteUntil: Duration?
  private var sent: [UInt64: Duration] = [:]
  private var sequence: UInt64 = 0
  private var lastPoll: Duration?
  private var runsResources = false
  public private(set) var lastAnswer: VoteAnswer?
  /// The latest heuristics result (`undefined` until a run ended, and always without heuristics).
  public private(set) var heuristicsResult = HeuristicsResult.undefined
  /// The run whose result counts (a newer run supersedes an older one still in flight), and runs started so far.
  private var heuristicsInFlight: UInt64?
  private var heuristicsRuns: UInt64 = 0
  private var nextRegularRun: Duration?

  public init(settings: QuorumDeviceSettings) { self.settings = settings }

  public var hasVote: Bool { voteUntil != nil }

  public mutating func handle(_ input: QuorumDeviceInput) -> [QuorumDeviceEffect] {
    var fx: [QuorumDeviceEffect] = []
    switch input {
    case .viewInstalled(let v, let now):
      // votequorum drops the vote with the view (grants are per view).
      voteUntil = nil
      sent = [:]
      var run: UInt64?
      if let h = settings.heuristics {
        run = startHeuristics(timeout: h.syncTimeout, &fx)
        if nextRegularRun == nil { nextRegularRun = now + h.interval }
      }
      phase = .awaiting(v, deadline: now + settings.decisionTimeout, held: nil, heuristicsRun: run)
      poll(now, &fx)
    case .quorumComputed(let status, _):
      switch phase {
      case .awaiting(let v, let deadline, _, let run) where status.ringID == v.id && !status.quorate:
        phase = .awaiting(v, deadline: deadline, held: status, heuristicsRun: run)
      case .awaiting(let v, _, _, _) where status.ringID == v.id:
        phase = .decided(v)
        fx.append(.report(status))
      default:
        fx.append(.report(status))
      }
    case .replied(let reply, let now):
      answer(reply, now, &fx)
    case .tick(let now):
      if case .awaiting(let v, let deadline, let held, _) = phase, now >= deadline {
        decide(v, held: held, &fx)
      }
      if let h = settings.heuristics, h.mode == .on, let next = nextRegularRun, now >= next, heuristicsInFlight == nil {
        nextRegularRun = now + h.interval
        _ = startHeuristics(timeout: h.timeout, &fx)
      }
      if let until = voteUntil, now >= until, let v = currentView {
        voteUntil = nil
        fx.append(.castVote(false, view: v.id))
      }
      if let last = lastPoll, now - last < settings.pollInterval { break }
      poll(now, &fx)
    case .runsResourcesChanged(let runs):
      runsResources = runs
    case .heuristicsFinished(let run, let passed, let now):
      guard run == heuristicsInFlight else { break }
      heuristicsInFlight = nil
      let result: HeuristicsResult = passed ? .pass : .fail
      let changed = result != heuristicsResult
      heuristicsResult = result
      if case .awaiting(let v, let deadline, let held, run?) = phase {
        phase = .awaiting(v, deadline: deadline, held: held, heuristicsRun: nil)
        poll(now, &fx)
      } else if changed {
        poll(now, &fx)
      }
    }
    return fx
  }

  private mutating func startHeuristics(timeout: Duration, _ fx: inout [QuorumDeviceEffect]) -> UInt64? {
    guard let h = settings.heuristics else { return nil }
    heuristicsRuns += 1
    heuristicsInFlight = heuristicsRuns
    fx.append(.runHeuristics(run: heuristicsRuns, commands: h.commands, timeout: timeout))
    return heuristicsRuns
  }

  /// The members of the current view (the membership node list corosync-qdevice shows).
  public var viewMembers: [NodeID] { currentView?.nodeIDs ?? [] }

  private var currentView: View? {
    switch phase {
    case .starting: return nil
    case .awaiting(let v, _, _, _), .decided(let v): return v
    }
  }

  private mutating func decide(_ v: View, held: QuorumStatus?, _ fx: inout [QuorumDeviceEffect]) {
    phase = .decided(v)
    if let held { fx.append(.report(held)) }
  }

  private mutating func poll(_ now: Duration, _ fx: inout [QuorumDeviceEffect]) {
    guard let v = currentView else { return }
    // A new view's first request waits for its heuristics (bounded by their sync_timeout and by the deadline).
    if case .awaiting(_, _, _, _?) = phase { return }
    lastPoll = now
    sequence += 1
    if sent.count >= settings.outstandingMax, let oldest = sent.keys.min() { sent[oldest] = nil }
    sent[sequence] = now
    fx.append(.send(VoteRequest(
      cluster: settings.cluster, node: settings.node.rawValue, incarnation: settings.incarnation, sequence: sequence,
      view: Self.partition(v), algorithm: settings.algorithm, tieBreaker: settings.tieBreaker,
      heuristics: heuristicsResult, runsResources: runsResources)))
  }

  private mutating func answer(_ reply: VoteReply, _ now: Duration, _ fx: inout [QuorumDeviceEffect]) {
    guard let sentAt = sent.removeValue(forKey: reply.sequence), let v = currentView, reply.view == Self.partition(v)
    else { return }
    lastAnswer = reply.answer
    switch reply.answer {
    case .vote(let leaseMs):
      let until = sentAt + .milliseconds(Int64(leaseMs))
      guard until > now else { return }
      let wasCast = voteUntil != nil
      voteUntil = max(voteUntil ?? until, until)
      if !wasCast {
        // The quorum state this vote produces is reported as it comes back through `.quorumComputed`.
        if case .awaiting = phase { phase = .decided(v) }
        fx.append(.castVote(true, view: v.id))
      }
    case .noVote:
      if voteUntil != nil {
        voteUntil = nil
        fx.append(.castVote(false, view: v.id))
      }
      if case .awaiting(let v, _, let held, _) = phase { decide(v, held: held, &fx) }
    case .wait:
      break
    }
  }

  /// The view as the arbiter sees it.
  public static func partition(_ v: View) -> PartitionView {
    PartitionView(
      epoch: v.id.epoch, coordinator: v.id.coordinator.rawValue, coordinatorIncarnation: v.id.coordinatorIncarnation,
      members: v.nodeIDs.map(\.rawValue))
  }
}
