/// A connection of one `MQTTSwarm`.
///
/// Ids are dense and start at 0 in the order connections were added, so a workload can
/// keep its per-connection state in arrays indexed by `index` instead of dictionaries.
public struct MQTTSwarmConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let index: Int

    public init(index: Int) {
        self.index = index
    }

    public var description: String { "#\(index)" }
}
