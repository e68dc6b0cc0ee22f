/// One command the controller sends a ComSat's plugin.
///
/// Commands that change grants are batched: one command carries thousands of items, costs
/// the plugin one journal write and is answered with one result per item, in order.
public enum ComSatCommand: Sendable, Hashable {
    /// Installs grants; a grant whose username exists replaces it (same client id, kind and
    /// link required).
    case addGrants([Grant])
    /// Removes grants by username: the plugin kicks their clients, forgets them and queues
    /// their client ids for a session sweep (see docs/PROTOCOL.md).
    case removeGrants([String])
    /// Makes the grant set exactly `grants`: missing ones are added, different ones
    /// replaced, identical ones kept (with their opt-in state), all others removed. For
    /// resynchronising a ComSat that missed changes.
    case replaceAll([Grant])
    /// Asks for the grant count and `GrantSetDigest`.
    case digest
    /// Asks for up to `limit` (username, `GrantDigest`) pairs from table position `cursor`
    /// (start with 0). Positions move when grants change, so compare digests afterwards.
    case list(cursor: UInt32, limit: UInt16)
    /// Asks for the plugin's counters.
    case stats
    /// Asks for up to `limit` client ids of removed grants whose sessions still await the
    /// controller's sweep, from position `cursor` (start with 0). These include removals
    /// the controller did not itself ask for by client id (`replaceAll`) and sweeps left
    /// undone when the controller stopped between a removal and its sweep.
    case pendingSweeps(cursor: UInt32, limit: UInt16)

    /// The wire code of a command.
    public enum Code: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case addGrants = 1
        case removeGrants = 2
        case replaceAll = 3
        case digest = 4
        case list = 5
        case stats = 6
        case pendingSweeps = 7

        public var description: String {
            switch self {
            case .addGrants: "addGrants"
            case .removeGrants: "removeGrants"
            case .replaceAll: "replaceAll"
            case .digest: "digest"
            case .list: "list"
            case .stats: "stats"
            case .pendingSweeps: "pendingSweeps"
            }
        }
    }

    public var code: Code {
        switch self {
        case .addGrants: .addGrants
        case .removeGrants: .removeGrants
        case .replaceAll: .replaceAll
        case .digest: .digest
        case .list: .list
        case .stats: .stats
        case .pendingSweeps: .pendingSweeps
        }
    }

    /// True for commands that change the grant set (and so are journaled and replay-guarded
    /// across restarts).
    public var changesGrants: Bool {
        switch self {
        case .addGrants, .removeGrants, .replaceAll: true
        case .digest, .list, .stats, .pendingSweeps: false
        }
    }
}
