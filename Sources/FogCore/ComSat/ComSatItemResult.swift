/// The outcome of one item of a batched command, answered in request order.
public enum ComSatItemResult: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A new grant was installed.
    case added = 0
    /// An existing grant with this username was replaced (secret, topics or expiry changed).
    case replaced = 1
    /// An identical grant was already installed; nothing changed.
    case unchanged = 2
    /// The grant was removed, its client kicked and its session queued for a sweep.
    case removed = 3
    /// No grant has this username.
    case notFound = 4
    /// The grant breaks a rule of `Grant.validate()`.
    case invalid = 5
    /// The grant collides with another principal: its client id, a topic or its link side
    /// belongs to someone else, or it would change the client id, kind or link of an
    /// existing username, or it names the controller.
    case conflict = 6
    /// The client id still has a session awaiting its sweep; sweep first, then retry.
    case sweepPending = 7
    /// The grant table is full.
    case capacityExceeded = 8

    /// True when the item took effect or was already in effect.
    public var isSuccess: Bool {
        switch self {
        case .added, .replaced, .unchanged, .removed: true
        case .notFound, .invalid, .conflict, .sweepPending, .capacityExceeded: false
        }
    }

    public var description: String {
        switch self {
        case .added: "added"
        case .replaced: "replaced"
        case .unchanged: "unchanged"
        case .removed: "removed"
        case .notFound: "notFound"
        case .invalid: "invalid"
        case .conflict: "conflict"
        case .sweepPending: "sweepPending"
        case .capacityExceeded: "capacityExceeded"
        }
    }
}
