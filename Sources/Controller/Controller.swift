/// The Controller module. Filled by its own issue; see docs/ARCHITECTURE.md for where it sits in the data flow.
public enum ControllerModule {
  public static let name = "Controller"
}
