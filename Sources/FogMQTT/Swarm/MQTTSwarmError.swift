/// Why a swarm operation failed.
///
/// Messages name the client ids, topics and counts involved; they never carry passwords or
/// payloads.
public struct MQTTSwarmError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of facts.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The process cannot open enough file descriptors for the requested connections.
        public static let descriptorLimit = Code("descriptorLimit")
        /// libmosquitto refused to create or configure a client.
        public static let clientSetup = Code("clientSetup")
        /// The TCP connection could not be started.
        public static let connectFailed = Code("connectFailed")
        /// The broker answered CONNECT with a failure reason code.
        public static let connectionRefused = Code("connectionRefused")
        /// An established connection closed without the swarm asking for it.
        public static let connectionLost = Code("connectionLost")
        /// libmosquitto refused to queue a PUBLISH.
        public static let publishFailed = Code("publishFailed")
        /// libmosquitto refused to queue a SUBSCRIBE.
        public static let subscribeFailed = Code("subscribeFailed")
        /// The broker answered SUBSCRIBE with a failure reason code.
        public static let subscriptionRefused = Code("subscriptionRefused")
        /// A condition the caller waited for did not hold before its deadline.
        public static let timeout = Code("timeout")
        /// A system call of the event loop failed.
        public static let systemCall = Code("systemCall")
    }

    public var code: Code
    /// Names the client ids, topics and counts involved.
    public var message: String
    /// The raw `MOSQ_ERR_*` value, for triage.
    public var mosquittoCode: Int32?
    /// The MQTT v5 reason code the broker sent, when the broker refused something.
    public var reasonCode: UInt8?
    /// `errno` of a failed system call.
    public var systemError: Int32?

    public init(
        _ code: Code,
        _ message: String,
        mosquittoCode: Int32? = nil,
        reasonCode: UInt8? = nil,
        systemError: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.mosquittoCode = mosquittoCode
        self.reasonCode = reasonCode
        self.systemError = systemError
    }

    public var description: String {
        var text = "MQTTSwarmError.\(code): \(message)"
        if let reasonCode {
            text += " (reason code 0x\(String(reasonCode, radix: 16)))"
        }
        if let mosquittoCode {
            text += " (libmosquitto \(mosquittoCode))"
        }
        if let systemError {
            text += " (errno \(systemError))"
        }
        return text
    }
}
