internal import CMosquittoBroker
import FogCore
import Glibc

/// Log lines through the broker's logger (so they land wherever mosquitto.conf sends them).
///
/// Control-path lines are Swift strings. Auth and disconnect lines go through
/// `clientEvent`, which names the client by its `LogAlias`, never its id: a link half's
/// client id must not outlive its decommission in the ComSat's log. No line ever carries a
/// client address, a password or a secret hash. Outside a broker (unit tests) nothing is logged.
enum PluginLog {
    static func notice(_ line: String) {
        CMosquittoBroker_log(MOSQ_LOG_NOTICE, "comsat: " + line)
    }

    static func warning(_ line: String) {
        CMosquittoBroker_log(MOSQ_LOG_WARNING, "comsat: " + line)
    }

    static func error(_ line: String) {
        CMosquittoBroker_log(MOSQ_LOG_ERR, "comsat: " + line)
    }

    /// Logs "comsat: <event> (client ~<alias>)".
    static func clientEvent(_ event: StaticString, clientID: UnsafePointer<CChar>?, warning: Bool = false) {
        // A literal with more than one scalar is stored NUL-terminated in the binary.
        guard event.hasPointerRepresentation else { return }
        let text = UnsafeRawPointer(event.utf8Start).assumingMemoryBound(to: CChar.self)
        let alias = clientID.map { LogAlias.of(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
        CMosquittoBroker_logClientEvent(warning ? MOSQ_LOG_WARNING : MOSQ_LOG_NOTICE, text, alias ?? "-")
    }
}
