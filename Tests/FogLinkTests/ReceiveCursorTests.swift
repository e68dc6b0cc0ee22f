import FogLink
import FogTestSupport
import Foundation
import Testing

@Suite struct ReceiveCursorTests {
    @Test func deliveredPointSurvivesReopenAndNeverGoesBack() throws {
        let temporary = try TemporaryDirectory(prefix: "fog-cursor")
        defer { temporary.remove() }
        let path = temporary.path + "/receive-cursor"
        var cursor = try ReceiveCursor(path: path)
        #expect(cursor.delivered == 0)
        #expect(cursor.isNew(1))
        try cursor.advance(to: 5)
        try cursor.advance(to: 3)
        #expect(cursor.delivered == 5)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)

        // A crash between writing the replacement and renaming it leaves the old value.
        #expect(FileManager.default.createFile(atPath: path + ".new", contents: Data([1, 2, 3])))
        let reopened = try ReceiveCursor(path: path)
        #expect(reopened.delivered == 5)
        #expect(!reopened.isNew(5))
        #expect(reopened.isNew(6))
        #expect(!FileManager.default.fileExists(atPath: path + ".new"))

        try ReceiveCursor.remove(path: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
    }

    @Test func damagedCursorIsRefused() throws {
        let temporary = try TemporaryDirectory(prefix: "fog-cursor")
        defer { temporary.remove() }
        let path = temporary.path + "/receive-cursor"
        var cursor = try ReceiveCursor(path: path)
        try cursor.advance(to: 42)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[12] ^= 1
        try data.write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: DiskQueueError.self) { try ReceiveCursor(path: path) }
        #expect(error.code == .corrupt)
        #expect(error.path == path)
    }
}
