/// Client ids with a live, authenticated connection, so decommission kicks only those.
///
/// Kicking an offline persistent session is not harmless in Mosquitto 2.0 before 2.0.22: it
/// puts the session on the broker's expiry list a second time, and once a sweep frees it the
/// list holds freed memory (upstream issue #3341; it crashed a ComSat here). An offline
/// session needs no kick anyway: its grant is gone, so it cannot log in again, and the
/// controller's sweep discards it.
///
/// Counts, not a set: when a client reconnects with its id, the new connection authenticates
/// before the broker drops the old one, whose disconnect must not mark the id offline.
/// Broker-thread only, like the rest of `PluginState`.
struct ConnectedClients {
    private var counts: [[UInt8]: Int] = [:]

    mutating func authenticated(_ clientID: UnsafeRawBufferPointer) {
        counts[Array(clientID), default: 0] += 1
    }

    mutating func disconnected(_ clientID: UnsafeRawBufferPointer) {
        let key = Array(clientID)
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }

    /// `clientID` as the NUL-terminated C string the kick list holds.
    func isConnected(_ clientID: [CChar]) -> Bool {
        let bytes = clientID.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return counts[bytes] != nil
    }
}
