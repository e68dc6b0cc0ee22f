import Crypto

/// How logs name the fabric's ephemeral identifiers — link ids, principals' usernames and
/// client ids, bus users — without writing them: a keyed fingerprint under a key that lives
/// only in this process's memory.
///
/// Decommission must leave no trace (issue 6's audit reads every log), yet operators need to
/// follow one link through a process's log. An alias is stable for the life of the process,
/// so its lines can be correlated, and says nothing once the process is gone: without the
/// key, not even someone holding a candidate id can confirm it. Aliases of one identifier
/// differ between processes (and across restarts), which is the point.
public enum LogAlias {
    private static let key = SymmetricKey(size: .bits256)

    /// `~` and 10 hex digits (40 bits of HMAC-SHA256): collisions among the links one
    /// process logs are negligible.
    public static func of(_ bytes: some Sequence<UInt8>) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(bytes), using: key)
        return "~" + Hex.encode(Array(code.prefix(5)))
    }

    public static func of(_ text: String) -> String {
        of(text.utf8)
    }

    public static func of(_ id: OpaqueID) -> String {
        of(id.description)
    }
}
