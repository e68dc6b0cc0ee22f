import Foundation
import Glibc

/// A fresh directory under `$TMPDIR` (or `/tmp`), made with `mkdtemp` so parallel tests
/// never share one. The owner removes it; nothing removes it implicitly.
public struct TemporaryDirectory: Sendable {
    /// Absolute path, without a trailing slash.
    public let path: String

    public init(prefix: String) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }
        }
        guard let created else {
            let code = errno
            throw TestSupportError(.systemCall, "mkdtemp in \(base) failed: \(String(cString: strerror(code)))", errno: code)
        }
        path = String(cString: created)
    }

    /// Adopts a directory made earlier (for example one whose path was stored) so it can be removed.
    public init(existingPath: String) {
        path = existingPath
    }

    /// Deletes the directory and everything in it; a directory already gone is not an error.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
