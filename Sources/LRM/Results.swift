/// An OCF exit code, as defined by the OCF resource agent API 1.1 (0-9) plus Pacemaker's degraded codes.
///
/// Why it exists: the controller and the scheduler reason about `notRunning` or `runningPromoted`, never about
/// 7 or 8. Unknown codes are kept (`other`) so nothing is lost, but they count as failures.
public enum OCFResult: Sendable, Hashable, CustomStringConvertible {
  case success, genericError, invalidArgument, unimplemented, insufficientPrivileges
  case notInstalled, notConfigured, notRunning, runningPromoted, failedPromoted
  case degraded, degradedPromoted
  case other(Int32)

  public init(exitCode: Int32) {
    switch exitCode {
    case 0: self = .success
    case 1: self = .genericError
    case 2: self = .invalidArgument
    case 3: self = .unimplemented
    case 4: self = .insufficientPrivileges
    case 5: self = .notInstalled
    case 6: self = .notConfigured
    case 7: self = .notRunning
    case 8: self = .runningPromoted
    case 9: self = .failedPromoted
    case 190: self = .degraded
    case 191: self = .degradedPromoted
    default: self = .other(exitCode)
    }
  }

  /// The numeric rc recorded in the CIB status section (`rc-code` of `lrm_rsc_op`).
  public var exitCode: Int32 {
    switch self {
    case .success: 0
    case .genericError: 1
    case .invalidArgument: 2
    case .unimplemented: 3
    case .insufficientPrivileges: 4
    case .notInstalled: 5
    case .notConfigured: 6
    case .notRunning: 7
    case .runningPromoted: 8
    case .failedPromoted: 9
    case .degraded: 190
    case .degradedPromoted: 191
    case .other(let c): c
    }
  }

  /// Pacemaker's wording (`crm_mon` "Failed Resource Actions" and `pcs resource debug-*`).
  public var description: String {
    switch self {
    case .success: "ok"
    case .genericError: "error"
    case .invalidArgument: "invalid parameter"
    case .unimplemented: "unimplemented feature"
    case .insufficientPrivileges: "insufficient privileges"
    case .notInstalled: "not installed"
    case .notConfigured: "not configured"
    case .notRunning: "not running"
    case .runningPromoted: "promoted"
    case .failedPromoted: "promoted (failed)"
    case .degraded: "OCF_RUNNING_DEGRADED"
    case .degradedPromoted: "OCF_RUNNING_PROMOTED_DEGRADED"
    case .other(let c): "unknown (\(c))"
    }
  }
}

/// An LSB init script's exit code. `status` has its own table (LSB 3.0 "Init Script Actions"); every other
/// action uses the general one.
public enum LSBResult: Sendable, Hashable {
  /// Exit code of `status`.
  public enum Status: Sendable, Hashable {
    case running, deadPidFileExists, deadLockFileExists, notRunning, unknown
    case other(Int32)
    public init(exitCode: Int32) {
      switch exitCode {
      case 0: self = .running
      case 1: self = .deadPidFileExists
      case 2: self = .deadLockFileExists
      case 3: self = .notRunning
      case 4: self = .unknown
      default: self = .other(exitCode)
      }
    }
  }
  case status(Status)
  /// Exit code of start, stop, restart, reload…: LSB's general table is OCF's codes 0-7 (OCF took them over).
  case action(OCFResult)

  /// The result of an action other than `status`; a code above 7 (OCF's own additions) stays `.other`.
  public init(actionExitCode code: Int32) {
    self = .action((0...7).contains(code) ? OCFResult(exitCode: code) : .other(code))
  }

  /// The OCF meaning, which is what the cluster records (as Pacemaker's `services__lsb2ocf` does):
  /// a dead daemon with stale pid/lock files is "not running", an unknown status is an error.
  public var ocf: OCFResult {
    switch self {
    case .status(.running): .success
    case .status(.deadPidFileExists), .status(.deadLockFileExists), .status(.notRunning): .notRunning
    case .status(.unknown), .status(.other): .genericError
    case .action(let r): r
    }
  }
}

/// A fence agent's exit code. For `status`/`monitor` fence-agents use 0 = powered on / reachable,
/// 2 = powered off; 1 is a failure for every action.
public enum FenceResult: Sendable, Hashable {
  case success
  case poweredOff
  case failed(Int32)

  public init(action: AgentAction, exitCode: Int32) {
    switch (exitCode, action) {
    case (0, _): self = .success
    case (2, .status): self = .poweredOff
    default: self = .failed(exitCode)
    }
  }

  public var ocf: OCFResult {
    switch self {
    case .success: .success
    case .poweredOff: .notRunning
    case .failed: .genericError
    }
  }
}

/// The standard-specific reading of an agent's exit, kept next to its OCF meaning.
public enum AgentExitCode: Sendable, Hashable {
  case ocf(OCFResult)
  case lsb(LSBResult)
  case fence(FenceResult)
  case systemd(SystemdResult)

  public var ocf: OCFResult {
    switch self {
    case .ocf(let r): r
    case .lsb(let r): r.ocf
    case .fence(let r): r.ocf
    case .systemd(let r): r.ocf
    }
  }
}

/// How an operation ended, independent of the agent's code: Pacemaker's "op-status".
public enum ExecutionStatus: Sendable, Hashable, CustomStringConvertible {
  /// The agent ran and exited; its code is in `OperationResult.code`.
  case done
  /// The agent did not finish within its timeout; its process group was killed.
  case timedOut
  /// The agent was killed by a signal it did not get from us.
  case signaled(Int32)
  /// The agent is not installed (no executable): recorded as OCF "not installed".
  case notInstalled
  /// The agent could not be started at all.
  case spawnFailed(String)
  /// A recurring operation was cancelled.
  case cancelled
  /// The resource is in transition (a systemd unit activating or deactivating): Pacemaker's PCMK_EXEC_PENDING.
  case pending

  public var description: String {
    switch self {
    case .done: "complete"
    case .timedOut: "timed out"
    case .signaled(let s): "killed by signal \(s)"
    case .notInstalled: "not installed"
    case .spawnFailed(let r): "error: \(r)"
    case .cancelled: "cancelled"
    case .pending: "pending"
    }
  }
}
