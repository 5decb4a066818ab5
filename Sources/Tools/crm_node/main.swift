import AttributeTools
import ControlProtocol
import Foundation

// crm_node: Pacemaker's node information tool over this node's clusterd. Decisions are in AttributeTools.
let result = CrmNode.run(Array(CommandLine.arguments.dropFirst()), cluster: ControlClient())
FileHandle.standardOutput.write(Data(result.stdout.utf8))
FileHandle.standardError.write(Data(result.stderr.utf8))
exit(result.exitCode)
