import CIB
import Foundation
import Testing

/// The shared CIB file writer's duties that a command line cannot reach in time: a file read at the start of a
/// run and removed before the write is an error, never a new file holding only the edit.
@Suite struct CIBFileLoadTests {
  static let cib = """
    <cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.1"><configuration><crm_config/>\
    <nodes/><resources/><constraints/></configuration><status/></cib>
    """

  @Test func aFileThatVanishedBeforeTheWriteIsAnError() throws {
    let path = NSTemporaryDirectory() + "vigil-vanish-\(getpid()).xml"
    try Data(Self.cib.utf8).write(to: URL(fileURLWithPath: path))
    let root = try #require(try CIBFile.load(path, check: .editable))
    try FileManager.default.removeItem(atPath: path)
    #expect(throws: CIBError.fileVanished(path: path)) { try CIBFile.write(root, to: path, mustExist: true) }
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  @Test func aMissingFileLoadsAsNothing() throws {
    #expect(try CIBFile.load(NSTemporaryDirectory() + "vigil-none-\(getpid()).xml", check: .editable) == nil)
  }

  @Test func everyPacemakerSchemaNameIsKnown() {
    for name in ["pacemaker-1.0", "pacemaker-2.10", "pacemaker-3.0", "pacemaker-3.9", "pacemaker-next"] {
      #expect(CIBFile.knownSchemas.contains(name), "\(name)")
    }
    #expect(!CIBFile.knownSchemas.contains("pacemaker-9.9"))
  }
}
