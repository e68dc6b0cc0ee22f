internal import CMosquittoBroker
internal import FogCore

extension PluginState {
    /// Decides one ACL check. Exact topics only:
    /// - a grant holder may publish (never retained, and for a link half only once both
    ///   halves opted in) to its publish topics, and subscribe to and receive its subscribe
    ///   topics;
    /// - the controller may publish `$CONTROL/comsat/v1`, `c/<id>` and `p/<id>` (not
    ///   retained), subscribe to `r/+`, `q/+`, `r/<id>`, `q/<id>` and the response topic,
    ///   and receive `r/<id>` and `q/<id>`;
    /// - a sweep connection may do nothing;
    /// - anyone may unsubscribe from anything (it only removes its own subscription).
    /// Everything else is denied: other principals' topics, wildcards, `$SYS`, unknown users.
    ///
    /// Allocates nothing: the username and client id are the broker's C strings, compared
    /// against bytes prepared when the grant was installed. `now` (Unix seconds) is only
    /// read for grants that expire.
    func authorize(
        username: UnsafeRawBufferPointer?, clientID: UnsafeRawBufferPointer?, topic: UnsafeRawBufferPointer,
        access: Int32, retain: Bool, now: () -> UInt64
    ) -> Bool {
        let allowed = decide(username: username, clientID: clientID, topic: topic, access: access, retain: retain, now: now)
        if !allowed {
            counters.aclDenied &+= 1
        }
        return allowed
    }

    private func decide(
        username: UnsafeRawBufferPointer?, clientID: UnsafeRawBufferPointer?, topic: UnsafeRawBufferPointer,
        access: Int32, retain: Bool, now: () -> UInt64
    ) -> Bool {
        guard let username, let clientID, username.count > 0 else { return false }
        if isControllerUsername(username) {
            guard GrantRecord.equal(controllerClientID, clientID) else { return false }  // a sweep
            return controllerMay(access: access, topic: topic, retain: retain)
        }
        guard let record = store.record(username: username), record.hasClientID(clientID) else { return false }
        if record.grant.expiry != 0, now() >= record.grant.expiry { return false }
        switch access {
        case MOSQ_ACL_WRITE:
            return !retain && record.mayPublish(topic) && store.isOptedIn(record)
        case MOSQ_ACL_READ, MOSQ_ACL_SUBSCRIBE:
            return record.maySubscribe(topic)
        case MOSQ_ACL_UNSUBSCRIBE:
            return true
        default:
            return false
        }
    }

    private func controllerMay(access: Int32, topic: UnsafeRawBufferPointer, retain: Bool) -> Bool {
        switch access {
        case MOSQ_ACL_WRITE:
            if retain { return false }
            if Self.equal(topic, Self.controlTopic) { return true }
            let prefix = ComSatTopic.prefix(of: topic)
            return prefix == .agentCommand || prefix == .provisioningResponse
        case MOSQ_ACL_SUBSCRIBE:
            if Self.equal(topic, Self.responseTopic) || Self.equal(topic, Self.replyPattern)
                || Self.equal(topic, Self.requestPattern)
            {
                return true
            }
            let prefix = ComSatTopic.prefix(of: topic)
            return prefix == .agentReply || prefix == .provisioningRequest
        case MOSQ_ACL_READ:
            if Self.equal(topic, Self.responseTopic) { return true }
            let prefix = ComSatTopic.prefix(of: topic)
            return prefix == .agentReply || prefix == .provisioningRequest
        case MOSQ_ACL_UNSUBSCRIBE:
            return true
        default:
            return false
        }
    }

    private static let controlTopic = Array(ComSatTopic.control.utf8)
    private static let responseTopic = Array(ComSatTopic.response.utf8)
    private static let replyPattern = Array("r/+".utf8)
    private static let requestPattern = Array("q/+".utf8)

    @inline(__always)
    private static func equal(_ topic: UnsafeRawBufferPointer, _ expected: [UInt8]) -> Bool {
        GrantRecord.equal(expected, topic)
    }
}
