import CIB
import Foundation
import TestKit
import Testing

@testable import PolicyEngine

/// Differential test against Pacemaker's own scheduler on inputs neither side was tuned on: corpus CIBs changed by
/// `CIBMutator` (seeded), each run through /usr/sbin/crm_simulate (Pacemaker 2.1.5) and through ours, compared
/// with the corpus' `compare.py` (same normalized transition and placement). The cases exist only at test time.
enum Differential {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  static let conformance = URL(fileURLWithPath: root + "/../shared/conformance").standardized.path
  static let pacemaker = "/usr/sbin/crm_simulate"
  static var available: Bool {
    FileManager.default.isExecutableFile(atPath: pacemaker)
      && FileManager.default.fileExists(atPath: conformance + "/compare.py")
  }
  static let missing: Comment = "needs Pacemaker's crm_simulate (pacemaker-cli-utils) and ../shared/conformance"

  /// How many cases to generate (VIGIL_DIFF_CASES overrides; the issue asks for at least 500).
  static var caseCount: Int { ProcessInfo.processInfo.environment["VIGIL_DIFF_CASES"].flatMap { Int($0) } ?? 500 }

  /// Corpus inputs small enough to keep a case fast, in name order (the seed picks among them).
  static func corpus() -> [String] {
    let dir = conformance + "/xml"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.filter { $0.hasSuffix(".xml") }.sorted().map { dir + "/" + $0 }.filter { path in
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
      return size > 0 && size < 200_000
    }
  }

  /// Our `crm_simulate -S` text for a CIB (as the tool computes it, with the CIB's execution-date as now).
  static func ours(_ cib: CIBElement) -> String {
    var request = SimulationRequest()
    request.simulate = true
    request.now = cib[attribute: "execution-date"].flatMap { Int64($0) } ?? Int64(Date().timeIntervalSince1970)
    do { return try runSimulation(cib, request).text } catch { return "error: \(error)" }
  }

  struct Outcome { var compared: Int; var identical: Int; var differences: [String] }

  /// One case: nil when it could not be made or Pacemaker could not schedule it, else whether both agree.
  static func runCase(seed: UInt64, inputs: [String], scratch: String) throws -> (same: Bool, what: String)? {
    var mutator = CIBMutator(seed: seed)
    guard let source = mutator.pick(inputs), var cib = try? CIBXML.parse(fileAt: source) else { return nil }
    let changes = mutator.mutate(&cib, count: 1 + Int.random(in: 0..<2, using: &mutator.rng))
    guard !changes.isEmpty else { return nil }
    let input = scratch + "/case-\(seed).xml"
    try CIBXML.serialize(cib).write(toFile: input, atomically: true, encoding: .utf8)
    let expected = try TestProcess.run(pacemaker, ["-x", input, "-S"], environment: ["LC_ALL": "C"], timeoutMs: 60_000)
    // An input Pacemaker itself cannot schedule is no case.
    guard expected.status == 0 else { return nil }
    let expectedFile = scratch + "/expected-\(seed).txt", actualFile = scratch + "/actual-\(seed).txt"
    try expected.stdout.write(toFile: expectedFile, atomically: true, encoding: .utf8)
    try ours(cib).write(toFile: actualFile, atomically: true, encoding: .utf8)
    let verdict = try TestProcess.run("/usr/bin/env", ["python3", conformance + "/compare.py", "diff", expectedFile, actualFile])
    let same = verdict.stdout.contains("\"transition\": {\"match\": true}")
      && verdict.stdout.contains("\"placement\": {\"match\": true}")
    let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
    return (same, "seed \(seed): \(name) + \(changes.joined(separator: ", "))")
  }

  /// Runs the seeds two at a time (each case waits mostly on Pacemaker's process), results in seed order.
  static func run(seeds: ClosedRange<UInt64>) throws -> Outcome {
    let inputs = corpus()
    precondition(!inputs.isEmpty, "corpus is empty")
    let scratch = NSTemporaryDirectory() + "vigil-differential-\(getpid())"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let list = Array(seeds)
    let results = CaseResults(count: list.count)
    let workers = 2
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      for i in stride(from: worker, to: list.count, by: workers) {
        results.set(i, Result { try runCase(seed: list[i], inputs: inputs, scratch: scratch) })
      }
    }
    var outcome = Outcome(compared: 0, identical: 0, differences: [])
    for r in results.all {
      guard let r, let c = try r.get() else { continue }
      outcome.compared += 1
      if c.same { outcome.identical += 1 } else { outcome.differences.append(c.what) }
    }
    return outcome
  }
}

/// Results written by the worker threads, each to its own slot.
final class CaseResults: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Result<(same: Bool, what: String)?, any Error>?]
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ r: Result<(same: Bool, what: String)?, any Error>) { lock.withLock { slots[i] = r } }
  var all: [Result<(same: Bool, what: String)?, any Error>?] { lock.withLock { slots } }
}

/// At least 500 generated cases; the share identical to Pacemaker must not fall below what the scheduler reached
/// when this floor was last raised (the issue's target is 95 %). Prints `differential_cases=` and
/// `differential_identical=` for the record, and every differing seed so it can be replayed.
@Test(.enabled(if: Differential.available, Differential.missing))
func mutatedCorpusMatchesPacemaker() throws {
  let count = Differential.caseCount
  let outcome = try Differential.run(seeds: 1...UInt64(count))
  let rate = outcome.compared == 0 ? 0 : Double(outcome.identical) / Double(outcome.compared)
  print("differential_cases=\(outcome.compared) differential_identical=\(outcome.identical) rate=\(String(format: "%.3f", rate))")
  for d in outcome.differences { print("differential_difference \(d)") }
  #expect(outcome.compared >= count * 9 / 10, "too few cases could be compared: \(outcome.compared) of \(count)")
  #expect(rate >= Differential.floor, "identical \(outcome.identical) of \(outcome.compared)")
}

extension Differential {
  /// The ratchet: the measured share of identical cases when last raised, less a small margin (raise it as the
  /// scheduler improves). Measured 409 of 500 (0.818) on 2026-12-08.
  static let floor = 0.80
}
