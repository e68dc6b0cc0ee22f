/// The libmosquitto handle and what libmosquitto borrows from it.
///
/// - Important: `@unchecked Sendable` because every read and write happens on
///   `MosquittoConnection`'s serial queue; the loop thread only sees the handle through
///   the `mosq` argument of its callbacks, never through this object.
final class HandleStorage: @unchecked Sendable {
    /// `struct mosquitto *`, created on the first connection attempt.
    var pointer: OpaquePointer?
    /// `mosquitto_property *` list sent with every CONNECT (session expiry).
    var connectProperties: OpaquePointer?
    /// Topic → alias established on the current connection (reset by every attempt).
    var topicAliases: [String: UInt16] = [:]
    /// `mosquitto_loop_start` ran and `mosquitto_loop_stop` has not joined the thread yet.
    var loopRunning = false
}
