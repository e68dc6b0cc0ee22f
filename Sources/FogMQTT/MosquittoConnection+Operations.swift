internal import CMosquitto

extension MosquittoConnection {
    func publish(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool) async throws(MQTTError) -> MQTTReasonCode {
        let what = "publish to '\(topic)' by \(identity)"
        try state.withLock { state throws(MQTTError) in
            switch state.phase {
            case .connected:
                return
            case .reconnecting where qos != .atMostOnce:
                // libmosquitto queues QoS 1/2 messages and sends them once reconnected.
                return
            default:
                throw MQTTError(.disconnected, "\(what): not connected")
            }
        }
        let result = await perform(.publish, what) { handle, mid in
            payload.withUnsafeBytes { bytes in
                mosquitto_publish_v5(
                    handle, &mid, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos.rawValue), retain, nil)
            }
        }
        let completion: PendingOperations.Completion
        do {
            completion = try result.get()
        } catch {
            metrics.publishFailures.increment()
            throw error
        }
        guard case .publish(let rawReason) = completion, let byte = UInt8(exactly: rawReason) else {
            metrics.publishFailures.increment()
            throw MQTTError(.internalError, "\(what): unexpected acknowledgement \(completion)")
        }
        let reason = MQTTReasonCode(rawValue: byte)
        if reason.isFailure {
            metrics.publishFailures.increment()
            throw MQTTError(.publishRejected, "\(what) rejected by the broker", reasonCode: reason)
        }
        metrics.messagesPublished.increment()
        return reason
    }

    func subscribe(_ filter: String, qos: MQTTQoS) async throws(MQTTError) -> MQTTQoS {
        let what = "subscribe to '\(filter)' by \(identity)"
        try requireConnected(what)
        let result = await perform(.subscribe, what) { handle, mid in
            mosquitto_subscribe_v5(handle, &mid, filter, Int32(qos.rawValue), 0, nil)
        }
        guard case .subscribe(let granted) = try result.get(), let first = granted.first,
            let byte = UInt8(exactly: first)
        else {
            throw MQTTError(.internalError, "\(what): SUBACK without a result for the filter")
        }
        let reason = MQTTReasonCode(rawValue: byte)
        guard !reason.isFailure, let grantedQoS = MQTTQoS(rawValue: byte) else {
            throw MQTTError(.subscriptionRefused, "\(what) refused by the broker", reasonCode: reason)
        }
        state.withLock { $0.subscriptions[filter] = qos }
        return grantedQoS
    }

    func unsubscribe(_ filter: String) async throws(MQTTError) {
        let what = "unsubscribe from '\(filter)' by \(identity)"
        try requireConnected(what)
        // Forget it first: a reconnect racing this call must not restore the filter.
        state.withLock { _ = $0.subscriptions.removeValue(forKey: filter) }
        let result = await perform(.unsubscribe, what) { handle, mid in
            mosquitto_unsubscribe_v5(handle, &mid, filter, nil)
        }
        _ = try result.get()
    }

    private func requireConnected(_ what: String) throws(MQTTError) {
        let connected = state.withLock { $0.phase == .connected }
        if !connected {
            throw MQTTError(.disconnected, "\(what): not connected")
        }
    }
}
