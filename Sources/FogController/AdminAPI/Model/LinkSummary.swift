public import Foundation

/// One link as the admin API shows it: placement, state, who runs the halves and what they
/// last reported. Never a secret, hash, topic or MQTT identity.
public struct LinkSummary: Codable, Sendable, Hashable {
    /// One side of the link.
    public struct Half: Codable, Sendable, Hashable {
        /// `A` or `B`.
        public var side: String
        public var agentID: String
        public var agent: String
        /// True once the half reported its secret hash (its grant is then on the ComSat).
        public var granted: Bool
        /// `connecting`, `handshaking`, `up` or `down` from the agent's last status; nil if
        /// not reported since the controller started.
        public var reportedState: String?
        public var queuedMessages: UInt64?
        public var queuedBytes: UInt64?

        public init(
            side: String, agentID: String, agent: String, granted: Bool, reportedState: String?, queuedMessages: UInt64?,
            queuedBytes: UInt64?
        ) {
            self.side = side
            self.agentID = agentID
            self.agent = agent
            self.granted = granted
            self.reportedState = reportedState
            self.queuedMessages = queuedMessages
            self.queuedBytes = queuedBytes
        }
    }

    public var id: String
    public var comsatID: String
    /// Name of the ComSat, nil if it is no longer enrolled.
    public var comsat: String?
    /// `pending`, `up` or `down`.
    public var state: String
    public var routeCount: Int
    public var halves: [Half]
    public var created: Date

    public init(
        id: String, comsatID: String, comsat: String?, state: String, routeCount: Int, halves: [Half], created: Date
    ) {
        self.id = id
        self.comsatID = comsatID
        self.comsat = comsat
        self.state = state
        self.routeCount = routeCount
        self.halves = halves
        self.created = created
    }
}
