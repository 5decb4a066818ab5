/// The warning clusterd logs and `pcs status` prints for a two-node cluster that nothing protects from split brain:
/// votequorum's two_node gives both halves of a cut quorum, so only a quorum device (an arbiter) or fencing can
/// stop both from running the resources.
public enum TwoNodeWarning {
  /// Whether `config` is two nodes with two_node and no quorum device (the fencing half is the caller's: the CIB).
  public static func applies(to config: CorosyncConfig) -> Bool {
    config.nodes.count == 2 && config.quorum?.device == nil && config.quorum?.twoNode == true
  }

  public static let text =
    "Two-node cluster without a quorum device or fencing: if the link between the nodes is cut, both keep quorum "
    + "(two_node) and both run the resources (split brain). Fix: run vigil-arbiter on a third machine "
    + "(pcs qdevice setup model net --start) and add it: pcs quorum device add model net host=<arbiter> algorithm=ffsplit"
}
