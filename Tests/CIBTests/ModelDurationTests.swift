import PropertyBased
import Testing

@testable import CIB

@Test(arguments: [
  ("30s", 30_000), ("1m", 60_000), ("2h", 7_200_000), ("500ms", 500), ("10min", 600_000),
  ("1000us", 1), ("120", 120_000), ("0", 0), (" 15 s ", 15_000), ("5SEC", 5_000), ("3hr", 10_800_000),
  ("20msec", 20), ("1.5s", 1_000), ("7\n", 7_000),
])
func timeParsesLikeCrmGetMsec(text: String, ms: Int64) throws {
  #expect(try Milliseconds(time: text).value == ms)
}

@Test(arguments: ["", "abc", "-5s", "s", "10x", "5 days", ".5s", "PT30S"])
func timeRejectsGarbage(text: String) {
  #expect(throws: DurationParseError.self) { try Milliseconds(time: text) }
}

// Values confirmed with Pacemaker 2.1.5 `crm_simulate -G` (operation_key a_monitor_N) on this machine.
@Test(arguments: [
  ("PT30S", 30_000), ("PT1H", 3_600_000), ("P1DT1S", 1_000), ("P2D", 86_400_000), ("P1D", 0),
  ("P1W", 518_400_000), ("P1M", 2_592_000_000), ("PT90M", 5_400_000), ("10s", 10_000), ("0", 0),
  ("P1Y", 0),
])
func intervalParsesLikeCrmParseIntervalSpec(text: String, ms: Int64) throws {
  #expect(try Milliseconds(interval: text).value == ms)
}

@Test(arguments: ["P", "PT1.5S", "P1", "PX", "P1X", "Pfoo"])
func intervalRejectsMalformedISO8601(text: String) {
  #expect(throws: DurationParseError.self) { try Milliseconds(interval: text) }
}

@Test func intervalIsCappedAtGMaxUint() throws {
  #expect(try Milliseconds(interval: "100000h") == Milliseconds.intervalMax)
  #expect(try Milliseconds(interval: "P5M") == Milliseconds.intervalMax)
}

@Test func durationErrorMessagesNameTheInput() {
  do {
    _ = try Milliseconds(time: "10x")
    Issue.record("expected an error")
  } catch {
    #expect(error.message.contains("'10x'"))
    #expect(error.message.contains("unknown unit 'x'"))
  }
}

@Test func isoFieldsAreKeptSeparately() throws {
  let d = try ISO8601Duration(parsing: "P1Y2M3W4DT5H6M7S")
  #expect(d == ISO8601Duration(years: 1, months: 2, days: 25, seconds: 5 * 3600 + 6 * 60 + 7))
}

@Test func secondsRoundTripThroughText() async {
  await propertyCheck(count: 500, input: Gen.int(in: 0...10_000_000)) { n in
    #expect((try? Milliseconds(time: "\(n)s"))?.value == Int64(n) * 1000)
    #expect((try? Milliseconds(time: "\(n)ms"))?.value == Int64(n))
    #expect((try? Milliseconds(time: Milliseconds(Int64(n)).description))?.value == Int64(n))
  }
}
