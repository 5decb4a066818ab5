import Foundation

// Placeholder until its issue lands: say so clearly and fail, never pretend to work.
FileHandle.standardError.write(Data("crm_verify: not implemented yet in this build of Vigil\n".utf8))
exit(2)
