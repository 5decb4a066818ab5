import CIB
import Foundation
import Testing

@testable import PolicyEngine

/// Scheduler fixtures: one directory per scenario under Fixtures/, a CIB in, the expected crm_simulate text and
/// scores out. The expected files were checked against Pacemaker 2.1.5's crm_simulate (same normalized
/// transition and placement); `UPDATE_FIXTURES=1 swift test` rewrites them for review.
enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  static var names: [String] {
    let list = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return list.filter { !$0.hasPrefix(".") }.sorted()
  }

  static func input(_ name: String) throws -> SchedulerInput {
    let text = try String(contentsOf: directory.appendingPathComponent(name).appendingPathComponent("cib.xml"), encoding: .utf8)
    let root = try CIBXML.parse(text)
    return try CIBReader.read(root, now: 1_700_000_000)
  }

  static func run(_ name: String) throws -> SchedulerResult { schedule(try input(name)) }

  static func expect(_ actual: String, matches file: String, in name: String) throws {
    let url = directory.appendingPathComponent(name).appendingPathComponent(file)
    if ProcessInfo.processInfo.environment["UPDATE_FIXTURES"] == "1" {
      try actual.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(actual == expected, "fixture \(name)/\(file) differs")
  }
}

@Test(arguments: Fixtures.names)
func fixtureSummary(name: String) throws {
  let result = try Fixtures.run(name)
  try Fixtures.expect(simulationText(result), matches: "expected.summary", in: name)
  try Fixtures.expect(scoreText(result).joined(separator: "\n") + "\n", matches: "expected.scores", in: name)
}

@Test func fixturesExist() {
  #expect(Fixtures.names.count >= 10)
}
