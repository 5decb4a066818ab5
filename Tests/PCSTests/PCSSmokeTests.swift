import Testing
import CIB

@Test func childLookupFindsById() {
  let e = CIBElement("resources", [:], children: [CIBElement("primitive", ["id": "a"]), CIBElement("group", ["id": "g"])])
  #expect(e.childIndex(id: "g") == 1)
  #expect(e.childIndex(named: "primitive") == 0)
}
