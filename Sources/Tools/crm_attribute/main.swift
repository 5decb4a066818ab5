import AttributeTools
import ControlProtocol
import Foundation

// crm_attribute: Pacemaker's attribute tool, on a CIB file (CIB_file=FILE) or the live cluster through this node's
// clusterd. Decisions are in AttributeTools; this file reads the environment, prints and exits.
let environment = ProcessInfo.processInfo.environment
let backend: AttributeBackend =
  if let file = environment["CIB_file"], !file.isEmpty { .file(file) } else { .live(ControlClient()) }
let result = CrmAttribute.run(Array(CommandLine.arguments.dropFirst()), environment: environment, backend: backend)
FileHandle.standardOutput.write(Data(result.stdout.utf8))
FileHandle.standardError.write(Data(result.stderr.utf8))
exit(result.exitCode)
