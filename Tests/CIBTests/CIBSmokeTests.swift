import Testing
@testable import CIB

@Test func attributeSubscriptKeepsOrderAndRemoves() {
  var e = CIBElement("primitive", ["id": "VIP", "class": "ocf"])
  e[attribute: "type"] = "IPaddr2"
  #expect(e.attributes.map(\.name) == ["id", "class", "type"])
  e[attribute: "class"] = nil
  #expect(e.attributes.map(\.name) == ["id", "type"])
  e[attribute: "id"] = "VIP2"
  #expect(e.id == "VIP2")
}
