import Testing

@testable import CIB

@Suite struct CoreVersionTests {
  let base = """
    <cib admin_epoch="0" epoch="5" num_updates="3" have-quorum="1"><configuration><crm_config/><nodes/>\
    <resources/><constraints/></configuration><status/></cib>
    """

  @Test func readsAndWritesTheRootAttributes() throws {
    var root = try CIBXML.parse(base)
    let v = try CIBVersion(of: root)
    #expect(v == CIBVersion(adminEpoch: 0, epoch: 5, numUpdates: 3))
    #expect(v.description == "0.5.3")
    CIBVersion(adminEpoch: 1, epoch: 2, numUpdates: 3).write(to: &root)
    #expect(root.attributes.map(\.name) == ["admin_epoch", "epoch", "num_updates", "have-quorum"])
    #expect(root[attribute: "admin_epoch"] == "1")
  }

  @Test func missingAttributesReadAsZeroAndGarbageIsAnError() throws {
    #expect(try CIBVersion(of: CIBElement("cib")) == CIBVersion())
    #expect(throws: CIBError.invalidVersion(attribute: "epoch", value: "-1")) {
      try CIBVersion(of: CIBElement("cib", ["epoch": "-1"]))
    }
    #expect(throws: CIBError.invalidVersion(attribute: "num_updates", value: "x")) {
      try CIBVersion(of: CIBElement("cib", ["num_updates": "x"]))
    }
  }

  @Test func orderingIsAdminEpochThenEpochThenNumUpdates() {
    let a = CIBVersion(adminEpoch: 0, epoch: 9, numUpdates: 9)
    let b = CIBVersion(adminEpoch: 1, epoch: 0, numUpdates: 0)
    let c = CIBVersion(adminEpoch: 1, epoch: 0, numUpdates: 1)
    let d = CIBVersion(adminEpoch: 1, epoch: 1, numUpdates: 0)
    #expect(a < b && b < c && c < d)
    #expect([d, a, c, b].sorted() == [a, b, c, d])
    #expect(!(b < b))
  }

  @Test func bumpRules() {
    let v = CIBVersion(adminEpoch: 2, epoch: 5, numUpdates: 3)
    #expect(v.bumped(for: .configuration) == CIBVersion(adminEpoch: 2, epoch: 6, numUpdates: 0))
    #expect(v.bumped(for: .update) == CIBVersion(adminEpoch: 2, epoch: 5, numUpdates: 4))
    #expect(v.bumped(for: .none) == v)
  }

  @Test func configurationChangeBumpsEpochAndZeroesNumUpdates() throws {
    let old = try CIBXML.parse(base)
    var new = old
    try CIBEdit.create(CIBElement("primitive", ["id": "p", "class": "ocf"]), in: .resources, of: &new)
    #expect(try CIBVersion.stamp(&new, after: old) == .configuration)
    #expect(try CIBVersion(of: new) == CIBVersion(adminEpoch: 0, epoch: 6, numUpdates: 0))
  }

  @Test func statusChangeBumpsNumUpdates() throws {
    let old = try CIBXML.parse(base)
    var new = old
    try CIBEdit.create(CIBElement("node_state", ["id": "1", "uname": "n1"]), in: .status, of: &new)
    #expect(try CIBVersion.stamp(&new, after: old) == .update)
    #expect(try CIBVersion(of: new) == CIBVersion(adminEpoch: 0, epoch: 5, numUpdates: 4))
  }

  /// As Pacemaker 2.1.5: a root attribute such as have-quorum is not a configuration change.
  @Test func rootAttributeChangeBumpsNumUpdates() throws {
    let old = try CIBXML.parse(base)
    var new = old
    new[attribute: "have-quorum"] = "0"
    #expect(try CIBVersion.stamp(&new, after: old) == .update)
    #expect(new[attribute: "num_updates"] == "4")
    #expect(new[attribute: "epoch"] == "5")
  }

  @Test func noChangeKeepsTheVersion() throws {
    let old = try CIBXML.parse(base)
    var new = old
    #expect(try CIBVersion.stamp(&new, after: old) == CIBChangeKind.none)
    #expect(new == old)
  }
}
