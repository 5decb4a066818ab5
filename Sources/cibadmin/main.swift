import CIB
import Foundation

FileHandle.standardError.write(Data("cibadmin: not implemented yet in this build of Vigil\n".utf8))
exit(2)
