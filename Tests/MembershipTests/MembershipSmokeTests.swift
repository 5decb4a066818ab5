import Testing
@testable import Membership

@Test func MembershipModuleNamesItself() {
  #expect(MembershipModule.name == "Membership")
}
