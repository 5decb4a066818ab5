import Testing

@testable import LRM

/// LSB's general exit codes are OCF's 0-7; what OCF added later (8 and up) means nothing to an init script.
@Test func lsbActionCodesReadAsOCFUpToSeven() {
  for code in Int32(0)...7 {
    #expect(interpretExit(code, standard: .lsb, action: .start) == .lsb(.action(OCFResult(exitCode: code))))
  }
  #expect(interpretExit(7, standard: .lsb, action: .stop).ocf == .notRunning)
  #expect(interpretExit(8, standard: .lsb, action: .start) == .lsb(.action(.other(8))))
  for code in Int32(0)...255 {
    #expect(LSBResult(actionExitCode: code).ocf.exitCode == code, "exit code \(code)")
  }
  // status has its own table.
  #expect(interpretExit(3, standard: .lsb, action: .status).ocf == .notRunning)
}
