/// The PolicyEngine module. Filled by its own issue; see docs/ARCHITECTURE.md for where it sits in the data flow.
public enum PolicyEngineModule {
  public static let name = "PolicyEngine"
}
