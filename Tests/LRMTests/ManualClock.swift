import Synchronization

/// A clock that moves only when the test says so: recurring monitors are driven without sleeping.
final class ManualClock: Clock, Sendable {
  struct Instant: InstantProtocol {
    var offset: Duration
    func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
    func duration(to other: Instant) -> Duration { other.offset - offset }
    static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
  }
  private struct Sleeper {
    let id: UInt64
    let deadline: Instant
    let continuation: CheckedContinuation<Void, any Error>
  }
  private struct State {
    var now = Instant(offset: .zero)
    var nextID: UInt64 = 0
    var sleepers: [Sleeper] = []
  }
  private let state = Mutex(State())

  var now: Instant { state.withLock { $0.now } }
  var minimumResolution: Duration { .zero }
  var sleeperCount: Int { state.withLock { $0.sleepers.count } }

  func sleep(until deadline: Instant, tolerance: Duration?) async throws {
    let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        let fireNow = state.withLock { s -> Bool in
          if deadline <= s.now { return true }
          s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
          return false
        }
        if fireNow { c.resume() }
      }
    } onCancel: {
      let c = state.withLock { s -> CheckedContinuation<Void, any Error>? in
        guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
        return s.sleepers.remove(at: i).continuation
      }
      c?.resume(throwing: CancellationError())
    }
  }

  /// Moves time forward and wakes every sleeper whose deadline has passed, earliest first.
  func advance(by d: Duration) {
    let due = state.withLock { s -> [Sleeper] in
      s.now = s.now.advanced(by: d)
      let now = s.now
      let due = s.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
      s.sleepers.removeAll { $0.deadline <= now }
      return due
    }
    for s in due { s.continuation.resume() }
  }
}
