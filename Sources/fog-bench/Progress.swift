import Foundation

/// Progress lines go to stderr, so stdout holds only the table and the RESULT line.
enum Progress {
    @Sendable static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
