import AttributeTools
import ControlProtocol
import Foundation

// attrd_updater: Pacemaker's node attribute updater over this node's clusterd (VIGIL_SOCKET, else the default
// socket). All decisions are in AttributeTools; this file only prints and exits.
let result = AttrdUpdater.run(Array(CommandLine.arguments.dropFirst()), cluster: ControlClient())
FileHandle.standardOutput.write(Data(result.stdout.utf8))
FileHandle.standardError.write(Data(result.stderr.utf8))
exit(result.exitCode)
