/// The SHA-256 (lowercase hex) of a CIB's `<configuration>` section as Vigil serializes it.
///
/// Why it exists: an edit is applied only if the configuration it started from is still the live one. The epoch
/// alone cannot say so: two DCs of different terms (one of them later outvoted at a merge) can each raise the same
/// epoch with different changes, and a client that read one copy would then overwrite the other's acknowledged
/// change. Equal digests mean equal configurations, whatever the history.
public enum ConfigurationDigest {
  /// nil when the CIB has no configuration section.
  public static func of(_ cib: CIBElement) -> String? {
    guard let conf = cib.firstElement(named: "configuration") else { return nil }
    return CIBStore.digestHex(of: CIBXML.serializeBytes(conf))
  }
}
