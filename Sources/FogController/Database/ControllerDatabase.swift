internal import Foundation
public import GRDB
public import Logging

/// The controller's SQLite database: one `Sendable` façade over a GRDB writer and the
/// schema migrator. Implements `ControllerStore` (see `ControllerDatabase+Store.swift`).
///
/// Files use a `DatabasePool` in WAL mode (readers never block the writer); logic tests
/// use an in-memory `DatabaseQueue`. Every connection runs with `PRAGMA secure_delete = ON`
/// so SQLite overwrites deleted cells and freed pages with zeros, and every delete of a
/// link or agent ends with a `TRUNCATE` WAL checkpoint so the WAL's older copies of those
/// pages are gone too: after a delete returns, neither file holds the deleted ids, topics
/// or hashes (proved by `ControllerDatabaseTests.deletedLinkLeavesNoBytesInFileOrWAL`).
public struct ControllerDatabase: Sendable {
    public let writer: any DatabaseWriter
    let logger: Logger

    /// Wraps `writer` and migrates it to the current schema.
    public init(_ writer: any DatabaseWriter, logger: Logger) throws(ControllerError) {
        self.writer = writer
        self.logger = logger
        do {
            try ControllerMigrations.migrator.migrate(writer)
        } catch {
            throw ControllerError(.databaseFailed, "migrating the controller database failed", underlying: "\(error)")
        }
    }

    /// Opens (creating if needed) the database file at `path`, WAL mode, migrated.
    ///
    /// A new file is created with mode 0600 first: SQLite gives its -wal and -shm files the
    /// main file's mode, so none of the three becomes readable by others.
    public static func open(path: String, logger: Logger) throws(ControllerError) -> ControllerDatabase {
        let descriptor = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ControllerError(
                .fileWriteFailed, "cannot create the database file: \(String(cString: strerror(errno)))", path: path)
        }
        close(descriptor)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration())
        } catch {
            throw ControllerError(.databaseFailed, "cannot open the database", path: path, underlying: "\(error)")
        }
        return try ControllerDatabase(pool, logger: logger)
    }

    /// A private in-memory database for logic tests.
    public static func inMemory(logger: Logger) throws(ControllerError) -> ControllerDatabase {
        do {
            return try ControllerDatabase(DatabaseQueue(configuration: configuration()), logger: logger)
        } catch let error as ControllerError {
            throw error
        } catch {
            throw ControllerError(.databaseFailed, "cannot create an in-memory database", underlying: "\(error)")
        }
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // A checkpoint after a delete may meet a reader finishing; wait rather than fail.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        return configuration
    }

    /// Moves every WAL frame into the main file and truncates the WAL to zero bytes, so
    /// the pre-delete copies of pages no longer exist on disk. A no-op in memory.
    func scrubWriteAheadLog() async throws(ControllerError) {
        guard writer is DatabasePool else { return }
        do {
            try await writer.writeWithoutTransaction { db in
                _ = try db.checkpoint(.truncate)
            }
        } catch {
            throw ControllerError(
                .databaseFailed, "deleted rows, but truncating the write-ahead log failed; old bytes may remain in it until the next checkpoint",
                underlying: "\(error)")
        }
    }

    /// Runs `body` in a read transaction, converting failures.
    func read<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(ControllerError) -> T {
        do {
            return try await writer.read(body)
        } catch {
            throw Self.converted(error, what)
        }
    }

    /// Runs `body` in a write transaction, converting failures.
    func write<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws(ControllerError) -> T {
        do {
            return try await writer.write(body)
        } catch {
            throw Self.converted(error, what)
        }
    }

    private static func converted(_ error: any Error, _ what: String) -> ControllerError {
        if let error = error as? ControllerError { return error }
        if let error = error as? DatabaseError, error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            return ControllerError(.nameTaken, "\(what): a row with the same name or id exists", underlying: "\(error)")
        }
        return ControllerError(.databaseFailed, "\(what) failed", underlying: "\(error)")
    }
}
