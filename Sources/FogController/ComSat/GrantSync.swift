public import FogCore
public import Foundation
public import Logging

/// Keeps a ComSat's grants equal to what the controller's store says it should hold.
///
/// On every (re)connection `synchronize` compares the ComSat's `GrantSetDigest` with the
/// digest of the store's grants for it; equal digests mean equal sets (the digest covers
/// every field of every grant), so nothing is sent. On a difference it sends `replaceAll`
/// when the set fits one command, and otherwise pages through `list` and sends only the
/// difference, in batches. Day-to-day changes use `install` and `revoke`.
///
/// Every `synchronize` ends with `sweepPending`: the sessions of grants the ComSat removed
/// without the controller knowing their client ids (a resync's removals), or whose sweep a
/// stopped controller never did, are swept then, so no queued message outlives its grant.
public struct GrantSync: Sendable {
    /// What `synchronize` found and did.
    public enum Outcome: Sendable, Hashable {
        /// The ComSat already held exactly the expected grants.
        case inSync(GrantSetDigest)
        /// The ComSat differed and now holds the expected grants.
        case resynchronized(expected: GrantSetDigest, before: GrantSetDigest)
    }

    public let store: any ControllerStore
    /// Most grants (or usernames) per command. A grant encodes to about 200 bytes, so
    /// 5,000 stay well inside the plugin's default 4 MiB `max_control_size`.
    public var batchSize: Int
    private let logger: Logger

    public init(store: any ControllerStore, batchSize: Int = 5_000, logger: Logger) {
        self.store = store
        self.batchSize = max(1, min(batchSize, ComSatProtocol.maximumItems))
        self.logger = logger
    }

    /// Brings the ComSat behind `session` in line with the store, records the digest, then
    /// sweeps every session the ComSat still holds for a removed grant (`sweepPending`).
    ///
    /// - Throws: `.itemsRefused` listing grants the ComSat would not take (the rest are
    ///   installed), `.invalidGrant` for a row that makes an invalid grant, or a session
    ///   error. The digest is recorded only when the ComSat ends up in sync.
    @discardableResult
    public func synchronize(_ session: ComSatSession, now: Date = Date()) async throws(ControllerError) -> Outcome {
        let comsatID = session.comsatID
        var logger = logger
        logger[metadataKey: "fog.comsat.id"] = "\(comsatID)"
        let grants = try await store.grants(comsatID: comsatID, now: now)
        let expected = try Self.digest(of: grants)
        let actual = try await Self.digest(from: session)
        guard actual != expected else {
            try await store.recordGrantDigest(expected, comsatID: comsatID)
            ComSatMetrics.sync(result: "in_sync")
            logger.debug("grants in sync", metadata: ["fog.grants.count": "\(expected.count)"])
            try await sweepPending(on: session)
            return .inSync(expected)
        }
        logger.info(
            "grants differ; resynchronising",
            metadata: ["fog.grants.expected": "\(expected)", "fog.grants.actual": "\(actual)"])
        if grants.count <= batchSize {
            let response = try await session.send(.replaceAll(grants))
            try Self.check(response, usernames: grants.map(\.username), session: session)
        } else {
            try await applyDifference(grants, session: session)
        }
        let after = try await Self.digest(from: session)
        guard after == expected else {
            throw ControllerError(
                .responseInvalid,
                "ComSat \(comsatID) still differs after resynchronising (expected \(expected), has \(after))")
        }
        try await store.recordGrantDigest(expected, comsatID: comsatID)
        ComSatMetrics.sync(result: "resynchronized")
        logger.notice("grants resynchronised", metadata: ["fog.grants.count": "\(expected.count)"])
        try await sweepPending(on: session)
        return .resynchronized(expected: expected, before: actual)
    }

    /// Sweeps every session the ComSat lists as awaiting a sweep (`pendingSweeps`), so
    /// removals whose client ids the controller never learnt, or whose sweep an earlier run
    /// left undone, leave no session or queued message behind and free the client id for a
    /// new grant. Pages through the whole list first, then sweeps. A client id the ComSat no
    /// longer lists when its sweep arrives (swept concurrently by `revoke`) is skipped.
    ///
    /// - Returns: how many sessions were swept.
    /// - Throws: a session error; sweeps not yet done stay pending on the ComSat and are
    ///   retried by the next call.
    @discardableResult
    public func sweepPending(on session: ComSatSession) async throws(ControllerError) -> Int {
        var clientIDs: [String] = []
        var cursor: UInt32? = 0
        while let position = cursor {
            let response = try await session.send(
                .pendingSweeps(cursor: position, limit: UInt16(ComSatProtocol.maximumListPage)))
            guard case .pendingSweeps(let page, let next) = response.body else {
                throw ControllerError(.responseInvalid, "ComSat \(session.comsatID) answered pendingSweeps without a list")
            }
            if let next, next <= position {
                throw ControllerError(
                    .responseInvalid, "ComSat \(session.comsatID) answered pendingSweeps cursor \(position) with cursor \(next)")
            }
            clientIDs += page
            cursor = next
        }
        guard !clientIDs.isEmpty else { return 0 }
        var swept = 0
        for clientID in clientIDs {
            if try await session.sweep(clientID: clientID) {
                swept += 1
            }
        }
        logger.notice(
            "swept sessions of removed grants",
            metadata: ["fog.comsat.id": "\(session.comsatID)", "fog.sweeps.listed": "\(clientIDs.count)", "fog.sweeps.done": "\(swept)"])
        return swept
    }

    /// Installs (or replaces) `grants` on the ComSat, in batches.
    /// - Throws: `.itemsRefused` with every refused item after trying all batches.
    public func install(_ grants: [Grant], on session: ComSatSession) async throws(ControllerError) {
        for grant in grants {
            do {
                try grant.validate()
            } catch {
                throw ControllerError(.invalidGrant, "grant '\(grant.username)' is invalid: \(error.message)")
            }
        }
        var failures: [ControllerError.ItemFailure] = []
        for start in stride(from: 0, to: grants.count, by: batchSize) {
            let batch = Array(grants[start..<min(start + batchSize, grants.count)])
            let response = try await session.send(.addGrants(batch))
            failures += Self.failures(response, usernames: batch.map(\.username))
        }
        ComSatMetrics.grantItems(grants.count - failures.count, result: "installed")
        try Self.throwIfAny(failures, "installing \(grants.count) grants", session: session)
    }

    /// Removes the grants of `principals` that live on this session's ComSat, in batches,
    /// then sweeps their sessions so no queued message survives. A username the ComSat
    /// does not know counts as removed (the goal state holds).
    public func revoke(_ principals: [RevokedPrincipal], on session: ComSatSession) async throws(ControllerError) {
        let mine = principals.filter { $0.comsatID == session.comsatID }
        var failures: [ControllerError.ItemFailure] = []
        var removedClientIDs: [String] = []
        for start in stride(from: 0, to: mine.count, by: batchSize) {
            let batch = Array(mine[start..<min(start + batchSize, mine.count)])
            let response = try await session.send(.removeGrants(batch.map(\.username)))
            let results = response.itemResults
            guard results.count == batch.count else {
                throw ControllerError(
                    .responseInvalid, "ComSat \(session.comsatID) answered \(results.count) items for \(batch.count) removals")
            }
            for (principal, result) in zip(batch, results) {
                switch result {
                case .removed: removedClientIDs.append(principal.clientID)
                case .notFound: break
                default: failures.append(.init(username: principal.username, result: result))
                }
            }
        }
        for clientID in removedClientIDs {
            try await session.sweep(clientID: clientID)
        }
        ComSatMetrics.grantItems(mine.count - failures.count, result: "revoked")
        try Self.throwIfAny(failures, "revoking \(mine.count) grants", session: session)
    }

    /// Sends only the difference, for grant sets too large for one `replaceAll`.
    private func applyDifference(_ grants: [Grant], session: ComSatSession) async throws(ControllerError) {
        var wanted: [String: GrantDigest] = [:]
        for grant in grants {
            wanted[grant.username] = try Self.grantDigest(grant)
        }
        var present: [String: GrantDigest] = [:]
        var cursor: UInt32? = 0
        while let position = cursor {
            let response = try await session.send(.list(cursor: position, limit: UInt16(ComSatProtocol.maximumListPage)))
            guard case .list(let entries, let next) = response.body else {
                throw ControllerError(.responseInvalid, "ComSat \(session.comsatID) answered list without entries")
            }
            for entry in entries { present[entry.username] = entry.digest }
            cursor = next
        }
        let extra = present.keys.filter { wanted[$0] == nil }.sorted()
        let changed = grants.filter { present[$0.username] != wanted[$0.username] }
        var failures: [ControllerError.ItemFailure] = []
        for start in stride(from: 0, to: extra.count, by: batchSize) {
            let batch = Array(extra[start..<min(start + batchSize, extra.count)])
            let response = try await session.send(.removeGrants(batch))
            failures += Self.failures(response, usernames: batch).filter { $0.result != .notFound }
        }
        for start in stride(from: 0, to: changed.count, by: batchSize) {
            let batch = Array(changed[start..<min(start + batchSize, changed.count)])
            let response = try await session.send(.addGrants(batch))
            failures += Self.failures(response, usernames: batch.map(\.username))
        }
        try Self.throwIfAny(failures, "resynchronising \(grants.count) grants", session: session)
    }

    private static func digest(of grants: [Grant]) throws(ControllerError) -> GrantSetDigest {
        do {
            return try GrantSetDigest(grants)
        } catch {
            throw ControllerError(.invalidGrant, "cannot encode a grant for the digest", underlying: "\(error)")
        }
    }

    private static func grantDigest(_ grant: Grant) throws(ControllerError) -> GrantDigest {
        do {
            return try GrantDigest(of: grant)
        } catch {
            throw ControllerError(.invalidGrant, "cannot encode grant '\(grant.username)'", underlying: "\(error)")
        }
    }

    private static func digest(from session: ComSatSession) async throws(ControllerError) -> GrantSetDigest {
        guard case .digest(let digest) = try await session.send(.digest).body else {
            throw ControllerError(.responseInvalid, "ComSat \(session.comsatID) answered digest without a digest")
        }
        return digest
    }

    private static func failures(_ response: ComSatResponse, usernames: [String]) -> [ControllerError.ItemFailure] {
        zip(usernames, response.itemResults).compactMap { username, result in
            result.isSuccess ? nil : ControllerError.ItemFailure(username: username, result: result)
        }
    }

    private static func check(_ response: ComSatResponse, usernames: [String], session: ComSatSession) throws(ControllerError) {
        guard response.itemResults.count == usernames.count else {
            throw ControllerError(
                .responseInvalid,
                "ComSat \(session.comsatID) answered \(response.itemResults.count) items for \(usernames.count) grants")
        }
        try throwIfAny(failures(response, usernames: usernames), "replacing all grants", session: session)
    }

    private static func throwIfAny(
        _ failures: [ControllerError.ItemFailure], _ what: String, session: ComSatSession
    ) throws(ControllerError) {
        guard let first = failures.first else { return }
        ComSatMetrics.grantItems(failures.count, result: "refused")
        throw ControllerError(
            .itemsRefused,
            "\(what) on ComSat \(session.comsatID): \(failures.count) refused; first '\(first.username)': \(first.result)",
            itemFailures: failures)
    }
}
