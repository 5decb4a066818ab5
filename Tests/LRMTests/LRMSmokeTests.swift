import Testing
@testable import LRM

@Test func LRMModuleNamesItself() {
  #expect(LRMModule.name == "LRM")
}
