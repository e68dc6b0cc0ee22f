/// Why an MQTT operation failed.
///
/// The message names the broker, client id and topic involved; it never carries a password
/// or payload. `reasonCode` is the broker's MQTT v5 answer when there was one, and
/// `mosquittoCode` the raw `MOSQ_ERR_*` value for triage.
public struct MQTTError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case connectionRefused, notAuthorized, timeout, brokerUnreachable, publishRejected,
                subscriptionRefused, disconnected, invalidArgument, tls, cancelled, internalError
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// CONNACK refused the connection for a reason other than credentials.
        public static let connectionRefused = Code(.connectionRefused)
        /// CONNACK refused the credentials: bad username or password, not authorized, banned.
        public static let notAuthorized = Code(.notAuthorized)
        /// The broker did not answer within the configured bound.
        public static let timeout = Code(.timeout)
        /// No connection could be made, or it closed before CONNACK.
        public static let brokerUnreachable = Code(.brokerUnreachable)
        /// PUBACK/PUBREC carried a failure reason code.
        public static let publishRejected = Code(.publishRejected)
        /// SUBACK carried a failure reason code for the filter.
        public static let subscriptionRefused = Code(.subscriptionRefused)
        /// Not connected, the connection was lost, or `disconnect()` was called.
        public static let disconnected = Code(.disconnected)
        /// The configuration or an argument was rejected before anything was sent.
        public static let invalidArgument = Code(.invalidArgument)
        /// TLS setup or handshake failed (unreadable files, untrusted or mismatched certificate).
        public static let tls = Code(.tls)
        /// The calling task was cancelled while waiting.
        public static let cancelled = Code(.cancelled)
        /// libmosquitto failed in a way no other code describes (out of memory, threads).
        public static let internalError = Code(.internalError)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var reasonCode: MQTTReasonCode?
    public var mosquittoCode: Int32?

    public init(_ code: Code, _ message: String, reasonCode: MQTTReasonCode? = nil, mosquittoCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.reasonCode = reasonCode
        self.mosquittoCode = mosquittoCode
    }

    public var description: String {
        var text = "MQTTError.\(code): \(message)"
        if let reasonCode {
            text += " [reason \(reasonCode)]"
        }
        if let mosquittoCode {
            text += " [mosquitto rc \(mosquittoCode): \(MosquittoLibrary.describe(mosquittoCode))]"
        }
        return text
    }
}
