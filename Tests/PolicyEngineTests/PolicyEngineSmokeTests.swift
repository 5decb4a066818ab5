import Testing
@testable import PolicyEngine

@Test func PolicyEngineModuleNamesItself() {
  #expect(PolicyEngineModule.name == "PolicyEngine")
}
