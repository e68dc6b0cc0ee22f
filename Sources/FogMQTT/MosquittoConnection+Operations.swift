internal import CMosquitto

extension MosquittoConnection {
    func publish(
        topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool, userProperties: [MQTTUserProperty]
    ) async throws(MQTTError) -> MQTTReasonCode {
        let what = "publish to '\(topic)' by \(identity)"
        try state.withLock { state throws(MQTTError) in
            switch state.phase {
            case .connected:
                return
            case .reconnecting where qos != .atMostOnce && !configuration.topicAliases:
                // libmosquitto queues QoS 1/2 messages and sends them once reconnected.
                return
            default:
                throw MQTTError(.disconnected, "\(what): not connected")
            }
        }
        let result = await perform(.publish, what) { handle, mid in
            // Built on the queue, where it is used: a caller that gave up must not free it early.
            var properties: OpaquePointer?
            defer { mosquitto_property_free_all(&properties) }
            for property in userProperties {
                let rc = mosquitto_property_add_string_pair(
                    &properties, Int32(MQTT_PROP_USER_PROPERTY.rawValue), property.name, property.value)
                if rc != MosquittoLibrary.success {
                    return rc
                }
            }
            let alias = self.topicAlias(for: topic)
            if let alias {
                let rc = mosquitto_property_add_int16(
                    &properties, Int32(MQTT_PROP_TOPIC_ALIAS.rawValue), alias.value)
                if rc != MosquittoLibrary.success {
                    return rc
                }
            }
            // libmosquitto copies the list for a message it keeps for resending.
            let rc = payload.withUnsafeBytes { bytes in
                if alias?.established == true {
                    mosquitto_publish_v5(
                        handle, &mid, nil, Int32(bytes.count), bytes.baseAddress, Int32(qos.rawValue), retain, properties)
                } else {
                    mosquitto_publish_v5(
                        handle, &mid, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos.rawValue), retain,
                        properties)
                }
            }
            if let alias {
                if rc != MosquittoLibrary.success && !alias.established {
                    self.storage.topicAliases[topic] = nil
                } else if rc == MosquittoLibrary.success && alias.established {
                    self.state.withLock { $0.aliasOnlyPublishes = true }
                }
            }
            return rc
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

    /// Runs on `queue`: the alias to send `topic` under, and whether the broker knows it
    /// already (then the PUBLISH carries no topic); nil without aliases or when all are taken.
    private func topicAlias(for topic: String) -> (value: UInt16, established: Bool)? {
        guard configuration.topicAliases else { return nil }
        if let known = storage.topicAliases[topic] {
            return (known, true)
        }
        let maximum = state.withLock { $0.topicAliasMaximum }
        guard storage.topicAliases.count < Int(maximum) else { return nil }
        let value = UInt16(storage.topicAliases.count + 1)
        storage.topicAliases[topic] = value
        return (value, false)
    }

    private func requireConnected(_ what: String) throws(MQTTError) {
        let connected = state.withLock { $0.phase == .connected }
        if !connected {
            throw MQTTError(.disconnected, "\(what): not connected")
        }
    }
}
