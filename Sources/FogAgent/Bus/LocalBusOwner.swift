public import FogCore

/// Who a local bus credential belongs to: one microservice, or one half of a link.
public enum LocalBusOwner: Sendable, Hashable, CustomStringConvertible {
    case microservice(name: String)
    case linkHalf(linkID: OpaqueID, side: Grant.LinkSide)

    /// Stable key in the bus's user file.
    var key: String {
        switch self {
        case .microservice(let name): "ms:\(name)"
        case .linkHalf(let linkID, let side): "link:\(linkID):\(side.rawValue)"
        }
    }

    init?(key: String) {
        let parts = key.split(separator: ":", omittingEmptySubsequences: false)
        switch (parts.first, parts.count) {
        case ("ms", 2):
            self = .microservice(name: String(parts[1]))
        case ("link", 3):
            guard let linkID = OpaqueID(String(parts[1])), let raw = UInt8(parts[2]),
                let side = Grant.LinkSide(rawValue: raw)
            else { return nil }
            self = .linkHalf(linkID: linkID, side: side)
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .microservice(let name): "microservice \(name)"
        case .linkHalf(let linkID, let side): "link half \(LogAlias.of(linkID)) side \(side)"
        }
    }
}
