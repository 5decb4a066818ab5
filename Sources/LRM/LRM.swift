/// The LRM module. Filled by its own issue; see docs/ARCHITECTURE.md for where it sits in the data flow.
public enum LRMModule {
  public static let name = "LRM"
}
