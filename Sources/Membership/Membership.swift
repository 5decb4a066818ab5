/// The Membership module. Filled by its own issue; see docs/ARCHITECTURE.md for where it sits in the data flow.
public enum MembershipModule {
  public static let name = "Membership"
}
