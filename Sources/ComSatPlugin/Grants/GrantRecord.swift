internal import FogCore
internal import Glibc

/// An installed grant with the byte forms the auth and ACL callbacks compare against.
///
/// Built once on the control path (when the grant is added or loaded), immutable after, so
/// the hot paths only read prepared bytes: no `String` is created or hashed per check.
final class GrantRecord {
    let grant: Grant
    let username: [UInt8]
    let clientID: [UInt8]
    /// `clientID` NUL-terminated, for the broker's kick call and log lines.
    let clientIDCString: [CChar]
    let publishTopics: [[UInt8]]
    let subscribeTopics: [[UInt8]]
    let usernameHash: UInt64
    let digest: GrantDigest
    /// Slot of the link state in the store, or -1 for principals other than link halves.
    let linkSlot: Int
    /// Where the grant's record is in the journal.
    var location: JournalLocation

    init(grant: Grant, usernameHash: UInt64, digest: GrantDigest, linkSlot: Int, location: JournalLocation) {
        self.grant = grant
        username = Array(grant.username.utf8)
        clientID = Array(grant.clientID.utf8)
        clientIDCString = grant.clientID.utf8CString.map { $0 }
        publishTopics = grant.publishTopics.map { Array($0.utf8) }
        subscribeTopics = grant.subscribeTopics.map { Array($0.utf8) }
        self.usernameHash = usernameHash
        self.digest = digest
        self.linkSlot = linkSlot
        self.location = location
    }

    /// True when `clientID` (a C string of `length` bytes) is this grant's client id.
    @inline(__always)
    func hasClientID(_ clientID: UnsafeRawBufferPointer) -> Bool {
        Self.equal(self.clientID, clientID)
    }

    @inline(__always)
    func mayPublish(_ topic: UnsafeRawBufferPointer) -> Bool {
        publishTopics.contains { Self.equal($0, topic) }
    }

    @inline(__always)
    func maySubscribe(_ topic: UnsafeRawBufferPointer) -> Bool {
        subscribeTopics.contains { Self.equal($0, topic) }
    }

    /// Byte equality of a stored key and a C buffer, without allocating.
    @inline(__always)
    static func equal(_ stored: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == bytes.count else { return false }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }  // both empty
        return stored.withUnsafeBytes { storedBytes in
            guard let storedBase = storedBytes.baseAddress else { return false }
            return memcmp(storedBase, base, bytes.count) == 0
        }
    }
}
