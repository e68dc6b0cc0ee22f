internal import CMosquitto
import Glibc
import Logging

/// libmosquitto's callbacks. They run on the loop thread, capture nothing, and find their
/// connection through the userdata pointer set in `mosquitto_new`.
extension MosquittoConnection {
    private static func from(_ userdata: UnsafeMutableRawPointer?) -> MosquittoConnection? {
        userdata.map { Unmanaged<MosquittoConnection>.fromOpaque($0).takeUnretainedValue() }
    }

    func installCallbacks(_ handle: OpaquePointer) {
        mosquitto_connect_v5_callback_set(handle) { mosq, userdata, reason, flags, properties in
            var aliasMaximum: UInt16 = 0
            mosquitto_property_read_int16(
                properties, Int32(MQTT_PROP_TOPIC_ALIAS_MAXIMUM.rawValue), &aliasMaximum, false)
            MosquittoConnection.from(userdata)?.connackReceived(
                mosq, reason: reason, flags: flags, topicAliasMaximum: aliasMaximum)
        }
        mosquitto_disconnect_v5_callback_set(handle) { mosq, userdata, code, _ in
            MosquittoConnection.from(userdata)?.connectionClosed(mosq, code: code)
        }
        mosquitto_publish_v5_callback_set(handle) { _, userdata, mid, reason, _ in
            MosquittoConnection.from(userdata)?.acknowledged(mid: mid, .publish(reason: reason))
        }
        mosquitto_subscribe_v5_callback_set(handle) { _, userdata, mid, count, granted, _ in
            let codes = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(count, 0)))) } ?? []
            MosquittoConnection.from(userdata)?.acknowledged(mid: mid, .subscribe(granted: codes))
        }
        mosquitto_unsubscribe_v5_callback_set(handle) { _, userdata, mid, _ in
            MosquittoConnection.from(userdata)?.acknowledged(mid: mid, .unsubscribe)
        }
        mosquitto_message_v5_callback_set(handle) { _, userdata, message, properties in
            guard let message else { return }
            MosquittoConnection.from(userdata)?.received(message.pointee, properties: properties)
        }
        mosquitto_log_callback_set(handle) { _, userdata, level, text in
            // Only errors and warnings become Strings; libmosquitto also logs every packet.
            guard level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0, let text else { return }
            MosquittoConnection.from(userdata)?.libraryLogged(String(cString: text))
        }
    }

    private func connackReceived(_ mosq: OpaquePointer?, reason: Int32, flags: Int32, topicAliasMaximum: UInt16) {
        let sessionPresent = flags & 0x01 != 0
        let effects = state.withLock { state -> [Effect] in
            guard let loopAttempt = state.loopAttempt, loopAttempt == state.attempt else {
                return []
            }
            guard reason != 0 else {
                state.topicAliasMaximum = topicAliasMaximum
                return accepted(&state, sessionPresent: sessionPresent)
            }
            let (error, permanent) = refusal(reason)
            return failAttempt(&state, error, permanent: permanent)
        }
        if reason != 0, let mosq {
            // Without this the loop thread reconnects on its own, forever.
            mosquitto_disconnect(mosq)
        }
        apply(effects)
    }

    private func accepted(_ state: inout ConnectionState, sessionPresent: Bool) -> [Effect] {
        var effects: [Effect] = []
        switch state.phase {
        case .connecting:
            if !sessionPresent {
                // A fresh session holds no subscriptions; a later reconnect must not restore
                // filters from before this `connect()`.
                state.subscriptions.removeAll()
            }
            if let waiter = state.connectWaiter.take() {
                effects.append(.resumeConnect(waiter, .success(MQTTConnectResult(sessionPresent: sessionPresent))))
            }
        case .reconnecting:
            if !sessionPresent && !state.subscriptions.isEmpty {
                effects.append(.resubscribe(state.subscriptions))
            }
        default:
            return []
        }
        state.phase = .connected
        emit(.connected(sessionPresent: sessionPresent))
        effects.append(.log(.info, "MQTT connected", ["mqtt.session.present": "\(sessionPresent)"]))
        return effects
    }

    private func refusal(_ code: Int32) -> (MQTTError, permanent: Bool) {
        let reason = MQTTReasonCode(rawValue: UInt8(truncatingIfNeeded: code))
        switch reason {
        case .badUsernameOrPassword, .notAuthorized, .banned, .badAuthenticationMethod:
            return (MQTTError(.notAuthorized, "broker refused \(identity)", reasonCode: reason), true)
        case .unspecifiedError, .serverUnavailable, .serverBusy, .quotaExceeded, .connectionRateExceeded:
            return (MQTTError(.connectionRefused, "broker turned \(identity) away for now", reasonCode: reason), false)
        default:
            return (MQTTError(.connectionRefused, "broker refused \(identity)", reasonCode: reason), true)
        }
    }

    private func connectionClosed(_ mosq: OpaquePointer?, code: Int32) {
        // Below 0x80 `code` is a MOSQ_ERR_* value (0 after our own DISCONNECT); from 0x80 it
        // is the reason code of the broker's DISCONNECT.
        let brokerReason = code >= 0x80 ? MQTTReasonCode(rawValue: UInt8(truncatingIfNeeded: code)) : nil
        let effects = state.withLock { state -> [Effect] in
            guard let loopAttempt = state.loopAttempt, loopAttempt == state.attempt else {
                return []
            }
            switch state.phase {
            case .connecting, .reconnecting:
                let (error, permanent) = closedBeforeConnack(code, brokerReason, lastError: state.lastLibraryError)
                return failAttempt(&state, error, permanent: permanent)
            case .connected:
                return lost(&state, code: code, brokerReason: brokerReason)
            default:
                return []
            }
        }
        if let mosq {
            // Stops libmosquitto's own reconnect loop; our policy decides what comes next.
            mosquitto_disconnect(mosq)
        }
        apply(effects)
    }

    private func closedBeforeConnack(
        _ code: Int32, _ brokerReason: MQTTReasonCode?, lastError: String?
    ) -> (MQTTError, permanent: Bool) {
        let detail = lastError.map { ": \($0)" } ?? ""
        if code == MOSQ_ERR_TLS.rawValue || code == MOSQ_ERR_TLS_HANDSHAKE.rawValue {
            return (MQTTError(.tls, "TLS handshake of \(identity) failed\(detail)", mosquittoCode: code), true)
        }
        if let brokerReason {
            return (MQTTError(.connectionRefused, "broker disconnected \(identity) before CONNACK", reasonCode: brokerReason), false)
        }
        return (
            MQTTError(
                .brokerUnreachable, "connection of \(identity) closed before CONNACK\(detail)",
                mosquittoCode: code == 0 ? nil : code),
            false
        )
    }

    private func lost(_ state: inout ConnectionState, code: Int32, brokerReason: MQTTReasonCode?) -> [Effect] {
        metrics.connectionLosses.increment()
        state.attempt &+= 1
        let error = MQTTError(
            .disconnected, "connection of \(identity) lost", reasonCode: brokerReason,
            mosquittoCode: brokerReason == nil && code != 0 ? code : nil)
        emit(.disconnected(reason: brokerReason))
        var effects: [Effect] = [.log(.info, "MQTT connection lost", Self.metadata(error))]
        // Another client took over this session: reconnecting would take it back, forever.
        if configuration.reconnect != nil, brokerReason != .sessionTakenOver {
            state.phase = .reconnecting(number: 1)
            // SUBSCRIBE/UNSUBSCRIBE in flight are lost with the connection; libmosquitto
            // resends unacknowledged PUBLISHes after reconnecting, so those keep waiting.
            // With topic aliases they cannot be resent (see `MQTTConfiguration.topicAliases`).
            let lostKinds: Set<PendingOperations.Kind> =
                configuration.topicAliases ? [.publish, .subscribe, .unsubscribe] : [.subscribe, .unsubscribe]
            effects.append(.failWaiters(state.pending.removeAll(of: lostKinds), error))
            effects.append(.scheduleReconnect(number: 1, generation: state.attempt))
        } else {
            state.phase = .idle
            effects.append(.failWaiters(state.pending.removeAll(of: [.publish, .subscribe, .unsubscribe]), error))
            effects.append(.stopLoop)
        }
        return effects
    }

    private func acknowledged(mid: Int32, _ completion: PendingOperations.Completion) {
        state.withLock { $0.pending.complete(mid: mid, completion) }?.resume(.success(completion))
    }

    private func received(_ message: mosquitto_message, properties: OpaquePointer?) {
        let topic = message.topic.map { String(cString: $0) } ?? ""
        let payload: [UInt8] =
            if let bytes = message.payload, message.payloadlen > 0 {
                Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
            } else {
                []
            }
        let delivered = MQTTMessage(
            topic: topic, payload: payload, qos: MQTTQoS(rawValue: UInt8(truncatingIfNeeded: message.qos)) ?? .atMostOnce,
            retain: message.retain, userProperties: Self.userProperties(properties),
            packetIdentifier: UInt16(truncatingIfNeeded: message.mid))
        metrics.messagesReceived.increment()
        if let synchronousHandler {
            // On the loop thread, before libmosquitto writes the PUBACK it already queued.
            synchronousHandler(delivered)
            return
        }
        if case .dropped = messageSink.yield(delivered) {
            metrics.messagesDropped.increment()
            let dropped = state.withLock { state in
                state.droppedMessages += 1
                return state.droppedMessages
            }
            if Self.isPowerOfTen(dropped) {
                logger.info(
                    "MQTT incoming buffer full, dropping messages",
                    metadata: ["mqtt.dropped": "\(dropped)", "mqtt.buffer.limit": "\(configuration.incomingBufferLimit)"])
            }
        }
    }

    /// The user properties in a received property list, in order. libmosquitto hands out
    /// copies of name and value, which are freed here.
    private static func userProperties(_ list: OpaquePointer?) -> [MQTTUserProperty] {
        guard list != nil else { return [] }
        var found: [MQTTUserProperty] = []
        var name: UnsafeMutablePointer<CChar>?
        var value: UnsafeMutablePointer<CChar>?
        let identifier = Int32(MQTT_PROP_USER_PROPERTY.rawValue)
        var cursor = mosquitto_property_read_string_pair(list, identifier, &name, &value, false)
        while cursor != nil {
            if let name, let value {
                found.append(MQTTUserProperty(String(cString: name), String(cString: value)))
            }
            free(name)
            free(value)
            name = nil
            value = nil
            cursor = mosquitto_property_read_string_pair(cursor, identifier, &name, &value, true)
        }
        return found
    }

    private static func isPowerOfTen(_ value: Int) -> Bool {
        var value = value
        while value >= 10 && value % 10 == 0 {
            value /= 10
        }
        return value == 1
    }

    /// libmosquitto 2.0.11 reports a TLS handshake that fails in the loop thread (an
    /// untrusted broker certificate, say) only through its log: that path returns
    /// MOSQ_ERR_TLS without calling `on_disconnect`, and the loop thread just exits. So an
    /// OpenSSL error while an attempt waits for CONNACK ends the attempt here.
    private func libraryLogged(_ line: String) {
        let effects = state.withLock { state -> [Effect] in
            state.lastLibraryError = line
            guard line.hasPrefix("OpenSSL Error"), let loopAttempt = state.loopAttempt, loopAttempt == state.attempt
            else {
                return []
            }
            switch state.phase {
            case .connecting, .reconnecting:
                return failAttempt(&state, MQTTError(.tls, "TLS handshake of \(identity) failed: \(line)"), permanent: true)
            default:
                return []
            }
        }
        logger.debug("libmosquitto: \(line)")
        apply(effects)
    }
}
