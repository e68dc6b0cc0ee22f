import Foundation

/// Whole-file reads and writes for configs, logs and PEM files, with errors that name the path.
public enum TextFile {
    public static func read(_ path: String) throws -> String {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw TestSupportError(.fileIO, "cannot read \(path): \(error)")
        }
    }

    /// Writes `text` to `path`, replacing it, readable only by its owner when `permissions`
    /// says so (key files must be 0600 before they hold a key, hence create-then-write).
    public static func write(_ text: String, to path: String, permissions: Int = 0o644) throws {
        let manager = FileManager.default
        do {
            if manager.fileExists(atPath: path) {
                try manager.removeItem(atPath: path)
            }
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: permissions]) else {
                throw TestSupportError(.fileIO, "cannot create \(path)")
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.write(contentsOf: Array(text.utf8))
        } catch let error as TestSupportError {
            throw error
        } catch {
            throw TestSupportError(.fileIO, "cannot write \(path): \(error)")
        }
    }
}
