public import FogCore
internal import FogMQTT

/// Application traffic on the controller's ComSat connection: provisioning requests on
/// `q/+`, agent replies on `r/+`, and the controller's answers on `p/` and `c/` topics.
///
/// The plugin lets only the controller's one client id use these patterns, so this traffic
/// must share the session's MQTT connection instead of opening a second one.
extension ComSatSession {
    /// Receives one application message. Handlers run on the session's executor in arrival
    /// order and must not block: hand the message to a stream.
    public typealias MessageHandler = @Sendable (_ topic: String, _ payload: [UInt8]) -> Void

    /// Sets (nil: removes) the handler for messages on topics with `prefix`, e.g.
    /// `.provisioningRequest` for `q/...` or `.agentReply` for `r/...`, so each service on
    /// the connection receives only its own traffic.
    public func setMessageHandler(forTopicPrefix prefix: ComSatTopic.Prefix, _ handler: MessageHandler?) {
        messageHandlers[prefix] = handler
    }

    /// Sets the handler for application messages no prefix handler claims.
    public func setMessageHandler(_ handler: MessageHandler?) {
        fallbackMessageHandler = handler
    }

    /// Subscribes the controller principal at QoS 1; the persistent session keeps the
    /// subscription across reconnections, and it is renewed when a reconnection finds the
    /// session gone (e.g. a ComSat restarted without persistence).
    /// - Throws: `.comsatUnreachable` when the ComSat refused or could not be reached.
    public func subscribe(_ topicFilter: String) async throws(ControllerError) {
        do {
            _ = try await client.subscribe(topicFilter, qos: .atLeastOnce)
            subscriptions.insert(topicFilter)
        } catch {
            throw ControllerError(
                .comsatUnreachable, "cannot subscribe to '\(topicFilter)' on ComSat \(comsatID)", underlying: "\(error)")
        }
    }

    /// Publishes at QoS 1 and returns once the ComSat acknowledged.
    /// - Throws: `.comsatUnreachable` when the publish failed or was refused.
    public func publish(topic: String, payload: [UInt8]) async throws(ControllerError) {
        do {
            try await client.publish(topic: topic, payload: payload, qos: .atLeastOnce)
        } catch {
            throw ControllerError(
                .comsatUnreachable, "cannot publish to '\(topic)' on ComSat \(comsatID)", underlying: "\(error)")
        }
    }
}
