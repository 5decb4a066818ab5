/// The `op-digest` of a resource's instance attributes, as the scheduler compares it (MD5 of Pacemaker's
/// `<parameters .../>` text). Public so that whoever records an operation (clusterd's status recorder) writes
/// exactly the digest the scheduler will expect; a mismatch would restart the resource on every transition.
public func resourceDefinitionDigest(_ parameters: [String: String]) -> String {
  OperationDigest.digest(parameters)
}
